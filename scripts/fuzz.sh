#!/usr/bin/env bash
# Fuzz one of Graft's readers with libFuzzer + AddressSanitizer (issue #7).
#
#   bash scripts/fuzz.sh TARGET SECONDS      TARGET: onnx onnx-graph keras-h5 keras-zip jpeg png
#   bash scripts/fuzz.sh build               only (re)build the instrumented binary
#
# Builds Fuzz/GraftFuzz and the reader modules with -sanitize=fuzzer,address into
# .build-fuzz (C targets with -fsanitize=fuzzer-no-link,address; the system libraries
# libhdf5, libpng, libjpeg and protobuf-c are not instrumented, so coverage guidance
# stops at their API but ASan still catches their wild reads/writes into our heap),
# links one binary against libFuzzer's main, then runs it niced for SECONDS.
# The corpus grows in .fuzz/corpus/TARGET (seeded from the committed fixtures each
# run); crashes land in .fuzz/artifacts/TARGET/; the log in .fuzz/logs/. The last
# line printed is a summary for Docs/reliability.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH
scratch=${GRAFT_FUZZ_SCRATCH:-.build-fuzz}
binary=$scratch/graft-fuzz

build() {
    nice -n 19 swift build --scratch-path "$scratch" --target GraftFuzz \
        -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address >&2
    local objects=()
    for module in TensorCore GraphIR HDF5Support ONNXFormat KerasFormat ImageData CImageCodecs CONNXProto \
                  ZIPFoundation Surgery LinearAlgebra Runtime GraftFuzz; do
        objects+=("$scratch"/debug/"$module".build/*.o)
    done
    # libFuzzer supplies main and calls LLVMFuzzerTestOneInput (Fuzz/GraftFuzz/FuzzTargets.swift).
    nice -n 19 swiftc -sanitize=fuzzer,address "${objects[@]}" -o "$binary" \
        $(pkg-config --libs hdf5 libprotobuf-c libpng libjpeg openblas) -lz 2>&1 \
        | grep -v "Cannot export local symbol" >&2 || true
    [[ -x $binary ]] || { echo "fuzz.sh: linking $binary failed" >&2; exit 1; }
}

seeds() {
    case $1 in
    onnx) ls Models/onnx-ops/*.onnx Tests/RuntimeTests/Fixtures/kernels/*.onnx ;;
    # The backend node tests' models (libonnx-testdata) are small graphs of every op.
    onnx-graph) ls Models/onnx-ops/*.onnx Tests/RuntimeTests/Fixtures/kernels/*.onnx Formats/onnx/corrupt/*.onnx
                find /usr/share -path '*onnx*/data/node/*/model.onnx' 2>/dev/null | while read -r f; do
                    echo "$f"; done ;;
    keras-h5) ls Models/keras-layers/*.h5 Formats/keras-h5/corrupt/*.h5 ;;
    keras-zip) ls Models/keras-layers/*.keras Formats/keras-h5/corrupt/*.keras ;;
    jpeg) ls Tests/ImageDataTests/Fixtures/jpeg/*.jpg ;;
    png) ls Tests/ImageDataTests/Fixtures/png/*.png Tests/ImageDataTests/Fixtures/corrupt/*.png ;;
    *) echo "fuzz.sh: unknown target '$1' (onnx onnx-graph keras-h5 keras-zip jpeg png)" >&2; exit 2 ;;
    esac
    # Inputs that once crashed a reader stay in the corpus.
    ls Tests/*/Fixtures/fuzz/"$1"/* 2>/dev/null || true
}

target=${1:?usage: scripts/fuzz.sh TARGET SECONDS | build}
if [[ $target == build ]]; then build; exit 0; fi
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
seed_files=$(seeds "$target")
if [[ ! -x $binary || -n ${GRAFT_FUZZ_REBUILD:-} ]]; then build; fi

corpus=.fuzz/corpus/$target
artifacts=.fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts" .fuzz/logs
for f in $seed_files; do
    name=$(basename "$f")
    # Every node test's file is model.onnx: name it after its test's folder.
    [[ $name == model.onnx ]] && name=$(basename "$(dirname "$f")").onnx
    cp -n "$f" "$corpus/$name"
done
log=.fuzz/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log

# libhdf5 1.10 has memory bugs of its own (Docs/reliability.md): for the HDF5 targets
# libFuzzer runs in fork mode and carries on after a crash, keeping each crashing input.
mode=()
case $target in keras-h5|keras-zip) mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1) ;; esac
set +e
# A plan's activations may take the machine's memory (Docs/reliability.md); under the
# fuzzer's 2 GB malloc limit they may take 256 MiB, so that a big activation is a
# refusal, not an out-of-memory finding.
GRAFT_ACTIVATION_LIMIT=$((256 << 20)) GRAFT_FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 SWIFT_BACKTRACE=enable=no \
    nice -n 19 "$binary" "$corpus" "${mode[@]}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=3072 \
    -malloc_limit_mb=2048 -max_len=262144 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
status=$?
set -e
rm -f /dev/shm/graft-fuzz-* 2>/dev/null || true
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
# Fork mode prints "#RUNS: cov: …" progress lines instead of final stats.
[[ -n $runs ]] || runs=$(grep -o '^#[0-9]*:' "$log" | tr -d '#:' | tail -1 || true)
crashes=$(ls "$artifacts" | wc -l)
echo "fuzz $target: ${seconds}s, ${runs:-?} inputs, exit $status, ${crashes} artifact(s) in $artifacts, log $log"
