#!/usr/bin/env bash
# Runs the whole test suite under a sanitizer, in a build folder of its own.
#
#   scripts/sanitize.sh address [swift test options...]   AddressSanitizer and LeakSanitizer
#   scripts/sanitize.sh thread  [swift test options...]   ThreadSanitizer
#
# The daemon and the CLI that the integration tests start are built with the same sanitizer, so
# a report in them fails the test that started them (their exit status is no longer 0).
# ThreadSanitizer builds use a pthread-backed lock (-D IMMUTA_PTHREAD_LOCK, Sources/ImmutaLocks):
# Synchronization.Mutex waits in uninstrumented runtime code on Linux, so every contended
# critical section would be reported as a race.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
shift || true
case "$mode" in
address)
    scratch=.build-asan
    flags=(--sanitize=address)
    # A fatal signal must end the process at once, as in production (FatalSignalTests), not
    # wait for ASan's report; a smaller quarantine keeps the daemons' memory near normal.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:handle_segv=0:handle_abort=0:quarantine_size_mb=16}
    # Foundation's ProcessInfo.environment keeps its dictionary: a leak in the toolchain, not here.
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
    ;;
thread)
    scratch=.build-tsan
    flags=(--sanitize=thread -Xswiftc -DIMMUTA_PTHREAD_LOCK)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}
    ;;
*)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
# Tests stretch their time bounds and skip RSS bounds under a sanitizer (ImmutaTestSupport/TestBudget).
export IMMUTA_TEST_SANITIZER=$mode
scripts/setup-deps.sh
swift build --build-tests --scratch-path "$scratch" "${flags[@]}"
source scripts/test-phases.sh
run_test_phases --skip-build --scratch-path "$scratch" "${flags[@]}" --parallel --num-workers 2 "$@"
