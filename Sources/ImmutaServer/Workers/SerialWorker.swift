import ImmutaLocks
import NIOCore
import NIOPosix
import Synchronization

/// Runs jobs one at a time, in order, on the daemon's I/O thread pool: one per connection (so a
/// connection's requests keep their order) and one per consumer group.
///
/// Written over `NIOThreadPool` rather than a `DispatchQueue` per connection: a job that blocks
/// on a stalled disk holds one pool thread, and the pool's threads exist from the start. With
/// GCD, the few threads it runs on Linux were all taken by jobs blocked on one slow topic, and
/// every other connection waited seconds for it to add a thread.
final class SerialWorker: Sendable {
    typealias Job = @Sendable () -> Void

    private struct State {
        var jobs = CircularBuffer<Job>()
        var running = false
    }

    private let pool: NIOThreadPool
    private let state = Locked(State())
    /// Jobs run per turn on a pool thread before the worker lets others have it.
    private static let turn = 32

    init(pool: NIOThreadPool) {
        self.pool = pool
    }

    /// Queues `job` behind this worker's earlier jobs.
    func async(_ job: @escaping Job) {
        let start = state.withLock { state -> Bool in
            state.jobs.append(job)
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if start { schedule() }
    }

    private func schedule() {
        pool.submit { _ in
            // Runs even when the pool is shutting down: the jobs release what their connection
            // or group held.
            self.runTurn()
        }
    }

    private func runTurn() {
        for _ in 0..<Self.turn {
            let next = state.withLock { state -> Job? in
                guard let job = state.jobs.popFirst() else {
                    state.running = false
                    return nil
                }
                return job
            }
            guard let next else { return }
            next()
        }
        schedule()
    }
}
