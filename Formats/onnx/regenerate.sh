#!/usr/bin/env bash
# Regenerates Sources/CONNXProto from onnx.proto with protoc-c
# (Debian package protobuf-c-compiler). Run after editing onnx.proto and commit
# the result; building Graft does not need protoc-c.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --proto_path="$here" --c_out="$out" "$here/onnx.proto"
target=$root/Sources/CONNXProto
mkdir -p "$target/include"
rm -f "$target/placeholder.c"
cp "$out/onnx.pb-c.h" "$target/include/onnx.pb-c.h"
# The header sits in include/ (SwiftPM's public header folder), which the C target
# already has on its include path, so the generated #include "onnx.pb-c.h" resolves.
cp "$out/onnx.pb-c.c" "$target/onnx.pb-c.c"
echo "wrote $target/onnx.pb-c.c and $target/include/onnx.pb-c.h ($(protoc-c --version | head -1))"
