# Sourced by scripts/test.sh and scripts/sanitize.sh: runs the test suite in two phases.
#
# Swift Testing starts every suite at once in one process. Most tests only wait on events, but a
# few measure time in the runner itself: a watchdog's ping intervals, how soon a crashed daemon is
# reaped, records per second of in-process producers, idle and ack timeouts of a second or two.
# With everything else running beside them on two cores they failed for want of CPU, not for a
# fault (FatalSignalTests saw 6 to 12 s where 5 s is the bound). They run on their own, after.
timing_suites='SystemdDaemonTests|DaemonRestartTests|ReconnectBoundTests|FirstConnectBoundTests|FatalSignalTests|WatchdogPinger|OnlineBackupTests|LoadTests|LimitTests|GroupDeliveryTests|ValueRangeTests|CliProduceInterruptTests|StalledDiskTests|BackPressureTests|CliTopTests'

# run_test_phases SWIFT_TEST_ARGUMENTS...: everything but the timing suites, then those alone.
run_test_phases() {
    swift test "$@" --skip "$timing_suites"
    swift test "$@" --filter "$timing_suites"
}
