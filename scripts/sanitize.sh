#!/usr/bin/env bash
# Runs the test suite under a sanitizer (issue #7).
#
#   bash scripts/sanitize.sh address [swift test args]    AddressSanitizer, whole suite by default
#   bash scripts/sanitize.sh thread  [swift test args]    ThreadSanitizer, the multi-threaded runtime kernels
#                                                         by default (--filter RuntimeTests)
#
# Builds into .build-asan / .build-tsan (so the normal build is untouched) with
# `swift build --sanitize=…`; the `graft` binary the end-to-end tests run is built
# with the same sanitizer, and so is the `graft __probe-keras` child it starts.
# A sanitizer report fails the run (halt_on_error). Suppressions for third-party
# code, each with its reason, live in scripts/sanitizers/. Everything runs niced:
# the CI machine has two cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=/opt/swift/usr/bin:$PATH
kind=${1:?usage: scripts/sanitize.sh address|thread [swift test args]}
shift
GRAFT_PYTHON=${GRAFT_PYTHON:-$(bash scripts/setup-python.sh)}
export GRAFT_PYTHON
case $kind in
address)
    scratch=.build-asan
    # LeakSanitizer is off: the Swift runtime's metadata caches and Foundation's
    # singletons are never freed by design and would drown real reports.
    export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0
    default=()
    ;;
thread)
    scratch=.build-tsan
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/scripts/sanitizers/tsan.supp"
    default=(--filter RuntimeTests)
    ;;
*) echo "sanitize.sh: unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
esac
[[ $# -gt 0 ]] || set -- "${default[@]}"
start=$(date +%s)
nice -n 19 swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
built=$(date +%s)
nice -n 19 swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" "$@"
done=$(date +%s)
echo "sanitize.sh $kind: build $((built - start)) s, tests $((done - built)) s"
