import ImmutaLocks
import Synchronization

/// A wait that did not finish in time.
struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let limit: Duration
    var description: String { "\(what) did not finish within \(limit)" }
}

/// Runs `body` and returns its result, or throws ``DeadlineExceeded`` once `limit` passes.
///
/// Unlike a task group, this does not wait for `body` after the deadline: a request to a hung
/// daemon ignores cancellation, and the checker must still report and move on (killing the
/// daemon then fails the abandoned request).
func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let race = Race(continuation)
        let work = Task { do { race.settle(.success(try await body())) } catch { race.settle(.failure(error)) } }
        Task {
            try? await Task.sleep(for: limit)
            race.settle(.failure(DeadlineExceeded(what: what, limit: limit)))
            work.cancel()
        }
    }
}

/// Resumes a continuation once: with whichever of the work and the timer finishes first.
private final class Race<T: Sendable>: Sendable {
    private let continuation: Locked<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = Locked(continuation) }

    func settle(_ result: Result<T, any Error>) {
        let first = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        first?.resume(with: result)
    }
}
