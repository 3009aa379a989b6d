// Replaced by protoc-c output (Formats/onnx/regenerate.sh).
