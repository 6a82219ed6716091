# Sourced by scripts/test.sh and scripts/sanitize.sh: runs the test suite in two phases.
#
# Swift Testing starts every suite at once in one process. Most tests only wait on events, but a
# few measure time in the runner itself: a watchdog's ping intervals, how soon a crashed daemon is
# reaped, records per second of in-process producers, idle and ack timeouts of a second or two.
# With everything else running beside them on two cores they failed for want of CPU, not for a
# fault (FatalSignalTests saw 6 to 12 s where 5 s is the bound). They run on their own, after.
timing_suites='SystemdDaemonTests|DaemonRestartTests|ReconnectBoundTests|FirstConnectBoundTests|FatalSignalTests|WatchdogPinger|OnlineBackupTests|LoadTests|LimitTests|GroupDeliveryTests|ValueRangeTests|CliProduceInterruptTests|StalledDiskTests|BackPressureTests|CliTopTests'

# The mirroring suites each run a 3-node nats-server cluster and push tens of thousands of records
# through it: beside the rest they starved other tests' daemons for seconds. They run last, one
# suite at a time. Under a sanitizer only the two that cover most of immutad's mirror code run:
# the fault scenarios exercise the cluster, not more of immutad. scripts/mirror-check.sh --long
# runs them all with more records and rounds.
mirror_suites='JetStreamClusterTests|MirrorSteadyTests|MirrorFaultTests|MirrorCrashTests|MirrorCliTests|SourceCrashTests'
sanitizer_mirror_suites='MirrorSteadyTests|MirrorCliTests'

# run_test_phases SWIFT_TEST_ARGUMENTS...: everything but the timing and mirroring suites, then the
# timing suites alone, then the mirroring suites.
run_test_phases() {
    swift test "$@" --skip "$timing_suites|$mirror_suites"
    swift test "$@" --filter "$timing_suites"
    local mirrors=$mirror_suites
    [[ -n ${IMMUTA_TEST_SANITIZER:-} ]] && mirrors=$sanitizer_mirror_suites
    # One suite at a time: without the parallel workers (swift test refuses --num-workers then).
    local serial=() skip=0 argument
    for argument in "$@"; do
        if ((skip)); then skip=0; continue; fi
        case $argument in
            --parallel) ;;
            --num-workers) skip=1 ;;
            *) serial+=("$argument") ;;
        esac
    done
    swift test "${serial[@]}" --no-parallel --filter "$mirrors"
}
