"""onnxruntime features of image files for the reference scripts: MODEL.onnx run up to the
value CUT (added as a graph output), with the EfficientNet-Lite preset's preprocessing: RGB,
bilinear resize to 224x224, (x - 127) / 128, in batches of 32 on 2 threads."""
import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image


def extract(model_path, cut, paths):
    """[len(paths), ...] float32: one flattened row of CUT per image."""
    m = onnx.load(model_path)
    m.graph.output.append(onnx.helper.make_tensor_value_info(cut, onnx.TensorProto.FLOAT, None))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(m.SerializeToString(), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    rows = []
    for start in range(0, len(paths), 32):
        batch = [(np.asarray(Image.open(p).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.float32) - 127.0) / 128.0
                 for p in paths[start:start + 32]]
        rows.append(session.run([cut], {input_name: np.stack(batch).transpose(0, 3, 1, 2)})[0].reshape(len(batch), -1))
    return np.concatenate(rows).astype(np.float32)
