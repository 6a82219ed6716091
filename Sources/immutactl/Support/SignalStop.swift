import ImmutaLocks
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns SIGINT and SIGTERM into the cancellation of one task, so that a command such as
/// `consume --group --follow` can finish cleanly (acknowledge what it printed, leave the group)
/// instead of dying between two records. A second signal exits at once, with the status a
/// shell expects of a process killed by that signal.
final class SignalStop {
    private struct State {
        var signal: CInt?
        var cancel: (@Sendable () -> Void)?
    }

    /// Shared with the signal handlers, which run on a dispatch queue.
    private final class Shared: Sendable {
        let state = Locked(State())
    }

    private let shared = Shared()
    private let sources: [any DispatchSourceSignal]

    init(_ signals: [CInt] = [SIGINT, SIGTERM]) {
        let shared = self.shared
        sources = signals.map { number in
            // The default action would kill the process before the handler runs.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let cancel = shared.state.withLock { state -> (@Sendable () -> Void)? in
                    if state.signal != nil { exit(128 + number) }
                    state.signal = number
                    return state.cancel
                }
                cancel?()
            }
            source.resume()
            return source
        }
    }

    /// The signal received, if any.
    var received: CInt? { shared.state.withLock { $0.signal } }

    /// Runs `body` in a task that a signal cancels (at once when one has already arrived).
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        let task = Task { try await body() }
        let cancelNow = shared.state.withLock { state in
            state.cancel = { task.cancel() }
            return state.signal != nil
        }
        if cancelNow { task.cancel() }
        let result = await task.result
        shared.state.withLock { $0.cancel = nil }
        return result
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
