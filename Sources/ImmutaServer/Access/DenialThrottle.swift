import ImmutaLocks
import Synchronization

/// Bounds how many denials of one user the audit log writes: a client looping on a refused
/// request would otherwise fill the journal, and journald's rate limit would then drop every
/// user's audit entries with it. Per uid, at most `perSecond` entries a second; the rest are
/// counted, and the user's next entry says how many were left out.
final class DenialThrottle: Sendable {
    private struct Window {
        var second: Int64
        var logged: Int
        var suppressed: Int
    }

    private let windows = Locked([UInt32: Window]())
    let perSecond: Int

    init(perSecond: Int = 20) {
        self.perSecond = perSecond
    }

    /// Whether to log this denial of `uid` at `second` (monotonic), and how many of the user's
    /// denials were left out since the last one logged.
    func admit(uid: UInt32, second: Int64) -> (log: Bool, suppressed: Int) {
        windows.withLock { windows in
            // Users seen in an earlier second are forgotten once many are remembered: the map
            // stays bounded by the users active within one second.
            if windows.count > 4096 { windows = windows.filter { $0.value.second == second || $0.value.suppressed > 0 } }
            var window = windows[uid] ?? Window(second: second, logged: 0, suppressed: 0)
            if window.second != second {
                window.second = second
                window.logged = 0
            }
            guard window.logged < perSecond else {
                window.suppressed += 1
                windows[uid] = window
                return (false, 0)
            }
            window.logged += 1
            let suppressed = window.suppressed
            window.suppressed = 0
            windows[uid] = window
            return (true, suppressed)
        }
    }
}
