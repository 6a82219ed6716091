import ImmutaLocks
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the fuzz thread, the well-behaved client and the monitor share: counters for the summary,
/// progress clocks for hang detection, the stop signal and the failures seen.
final class RunState: Sendable {
    let framesSent = Atomic<Int>(0)
    let connectionsOpened = Atomic<Int>(0)
    let serverCloses = Atomic<Int>(0)
    let clientCloses = Atomic<Int>(0)
    let connectFailures = Atomic<Int>(0)
    let bytesSent = Atomic<Int>(0)
    let bytesReceived = Atomic<Int>(0)
    let recordsProduced = Atomic<Int>(0)
    let recordsVerified = Atomic<Int>(0)
    let recordsFetchChecked = Atomic<Int>(0)

    /// Monotonic nanoseconds of the last byte a fuzz connection moved, for hang detection (the
    /// well-behaved client's progress shows in its counters).
    let fuzzProgress = Atomic<Int64>(RunState.now())

    /// Set when the fuzzing part is over (budget spent, time up, or a failure).
    let stopFuzzing = Atomic<Bool>(false)
    /// Set by the fuzz thread when it has closed its connections and returned.
    let fuzzFinished = Atomic<Bool>(false)
    /// Set by the well-behaved client once its topic and subscription exist.
    let clientReady = Atomic<Bool>(false)
    /// Set by the well-behaved client when it has finished its final checks (or failed).
    let clientFinished = Atomic<Bool>(false)

    /// Frames the daemon sent to the fuzz connections, by kind (with `--show-responses`).
    let responses = Locked(ResponseScanner.Tally())

    private let failureList = Locked<[String]>([])

    /// Records a failure and stops the run.
    func fail(_ message: String) {
        failureList.withLock { if !$0.contains(message) { $0.append(message) } }
        stopFuzzing.store(true, ordering: .releasing)
    }

    var failures: [String] { failureList.withLock { $0 } }

    /// Monotonic time in nanoseconds (an integer, so that it fits in an `Atomic`).
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// Seconds since a progress stamp.
    static func secondsSince(_ stamp: Int64) -> Double { Double(now() - stamp) / 1e9 }
}
