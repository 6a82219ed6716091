#if canImport(Glibc)
import Glibc
#endif

import Dispatch
import ImmutaLocks
import Synchronization

/// What a mirror or source is doing.
public enum LinkPhase: String, Sendable, Hashable {
    /// Connecting to NATS, or setting up its stream or consumer.
    case connecting
    /// Publishing (or appending) records, or caught up and waiting for more.
    case running
    /// A publish failed: taking back what was in flight and resending from the resume point.
    case rewinding
    /// The NATS connection is down; libnats reconnects by itself.
    case disconnected
    /// Paused from the CLI: nothing is published or appended until it is resumed.
    case paused
    /// Stopped by an error that needs an operator (see the last error); retried every 30 s.
    case error
    case stopped
}

/// The state a mirror's or source's thread shares with the rest of the daemon: the stop and
/// pause requests, and what it last reported. The thread sleeps on `wake`, which everything that
/// changes its work signals (a request, an acknowledgement failure, new records).
final class LinkControl: Sendable {
    struct State: Sendable {
        var stopping = false
        var paused = false
        var phase = LinkPhase.connecting
        var lastError: String?
        var lastErrorAt: Int64?
        var rewinds: UInt64 = 0
    }

    let state = Locked(State())
    let wake: DispatchSemaphore
    /// Signalled when the thread has finished.
    let finished = DispatchSemaphore(value: 0)

    init(wake: DispatchSemaphore = DispatchSemaphore(value: 0)) {
        self.wake = wake
    }

    var isStopping: Bool { state.withLock { $0.stopping } }
    var isPaused: Bool { state.withLock { $0.paused } }

    func set(_ phase: LinkPhase) { state.withLock { $0.phase = phase } }

    func record(_ error: any Error) {
        state.withLock {
            $0.lastError = "\(error)"
            $0.lastErrorAt = wallClockMilliseconds()
        }
    }

    func requestStop() {
        state.withLock { $0.stopping = true }
        wake.signal()
    }

    func setPaused(_ paused: Bool) {
        state.withLock { $0.paused = paused }
        wake.signal()
    }

    /// Sleeps until signalled or `milliseconds` pass.
    func sleep(milliseconds: Int) {
        _ = wake.wait(timeout: .now() + .milliseconds(milliseconds))
    }
}

/// Exponential backoff between retries: 50 ms doubling to a cap, back to the start on success.
struct Backoff {
    var next = 50
    let cap: Int

    init(cap: Int = 1000) { self.cap = cap }

    mutating func take() -> Int {
        defer { next = min(next * 2, cap) }
        return next
    }

    mutating func reset() { next = 50 }
}

func wallClockMilliseconds() -> Int64 { wallClockNanoseconds() / 1_000_000 }

func wallClockNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
