import ImmutaLocks
import Synchronization

/// Waits until `condition` holds, checking it about every millisecond, for at most `timeout`.
/// For state that offers nothing to await (a background flush, a waiter being registered).
///
/// - Returns: whether the condition held before the deadline; `#expect` it.
public func eventually(
    timeout: Duration = .seconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return try condition()
}

/// Waits until the asynchronous `condition` holds, checking it about every millisecond, for at
/// most `timeout`.
///
/// - Returns: whether the condition held before the deadline; `#expect` it.
public func eventually(
    timeout: Duration = .seconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return try await condition()
}

/// The end of a wait that has nothing to await, only state to poll: `check()` in every round of
/// the loop, so that a condition that never comes fails the test with `what` instead of hanging.
/// The timeout stretches under a sanitizer (``TestBudget/time(_:)``).
public struct Deadline: Sendable {
    public let what: String
    public let timeout: Duration
    private let end: ContinuousClock.Instant

    public init(_ what: String, timeout: Duration = .seconds(60)) {
        self.what = what
        self.timeout = TestBudget.time(timeout)
        end = ContinuousClock.now.advanced(by: self.timeout)
    }

    public var hasPassed: Bool { ContinuousClock.now >= end }

    /// Throws ``TestSupportError`` naming the wait once the deadline has passed.
    public func check(_ detail: @autoclosure () -> String = "") throws {
        guard hasPassed else { return }
        let more = detail()
        throw TestSupportError("timed out after \(timeout) waiting \(what)" + (more.isEmpty ? "" : ": \(more)"))
    }
}

/// Runs `body` and returns its result, or throws ``TestSupportError`` naming `what` once `timeout`
/// (stretched under a sanitizer) passes first. For an await that may never return (a stream's
/// next element, a process exit): the body runs in a task of its own, cancelled at the deadline
/// and left behind if it ignores that, so the test fails either way instead of hanging.
public func withDeadline<T: Sendable>(
    _ what: String, timeout: Duration = .seconds(60), _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let scaled = TestBudget.time(timeout)
    let race = DeadlineRace<T>()
    let work = Task {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        race.finish(result)
    }
    let timer = Task {
        try await Task.sleep(for: scaled)
        race.finish(.failure(TestSupportError("timed out after \(scaled) waiting \(what)")))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await race.value()
}

/// The first of two outcomes, handed to whoever waits for it.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Locked(State())

    func finish(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if state.result == nil { state.waiter = continuation }
                return state.result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
