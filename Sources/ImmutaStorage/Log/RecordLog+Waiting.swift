import ImmutaLocks
import Synchronization

/// A registered wait for new records, to cancel with ``RecordLog/cancelWait(_:)``.
public struct WaitToken: Sendable, Hashable {
    let id: UInt64
}

extension RecordLog {
    /// Calls `wake` once, as soon as the log extends beyond `offset`, that is, holds the record at
    /// `offset` (its next offset is above it), or the log closes. Returns nil without registering
    /// when that record already exists or the log is closed. A reader passes the offset it wants to read next.
    ///
    /// `wake` runs on the appending thread: keep it short (hop to your own executor).
    public func whenRecords(beyond offset: UInt64, _ wake: @escaping @Sendable () -> Void) -> WaitToken? {
        register(beyond: offset, Waiter(beyond: offset, wake: { _ in wake() }, wantsBatch: false))
    }

    /// Like ``whenRecords(beyond:_:)``, and hands `wake` the batch that extended the log when it
    /// is small enough to pass on from memory (``AppendedBatch/maxBytes``); nil otherwise, and
    /// when the log closes.
    public func whenRecords(
        beyond offset: UInt64, receiving wake: @escaping @Sendable (AppendedBatch?) -> Void
    ) -> WaitToken? {
        register(beyond: offset, Waiter(beyond: offset, wake: wake, wantsBatch: true))
    }

    private func register(beyond offset: UInt64, _ waiter: Waiter) -> WaitToken? {
        shared.withLock { state -> WaitToken? in
            guard state.nextOffset <= offset, !state.closed else { return nil }
            let id = state.nextWaiterID
            state.nextWaiterID += 1
            state.waiters[id] = waiter
            return WaitToken(id: id)
        }
    }

    /// Cancels a wait. Returns false when it already fired (or was cancelled).
    @discardableResult
    public func cancelWait(_ token: WaitToken) -> Bool {
        shared.withLock { $0.waiters.removeValue(forKey: token.id) != nil }
    }

    /// Waits until the log extends beyond `offset`, that is, holds the record at `offset` (the
    /// offset a reader wants next), without polling: the appending writer wakes it.
    ///
    /// - Parameter timeout: how long to wait at most; nil waits until a record arrives.
    /// - Returns: true when such a record exists, false on timeout.
    /// - Throws: `CancellationError` when the task is cancelled; ``StorageError/closed(log:)`` when the log closes.
    public func waitForRecords(beyond offset: UInt64, timeout: Duration? = nil) async throws -> Bool {
        if shared.withLock({ $0.nextOffset > offset }) { return true }
        let once = OnceContinuation()
        let tokenBox = Locked<WaitToken?>(nil)
        let timer = Locked<Task<Void, Never>?>(nil)
        let outcome: Bool = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                once.install(continuation)
                let token = whenRecords(beyond: offset) { once.resume(.success(true)) }
                guard let token else {
                    once.resume(.success(true))
                    return
                }
                tokenBox.withLock { $0 = token }
                // A task cancelled before the token was stored: the cancellation handler already ran
                // and found no token, so take the wait back here or it stays registered until the next
                // append. (Cancelled later, the handler sees the token; cancelling twice is harmless.)
                if Task.isCancelled {
                    cancelWait(token)
                    return
                }
                if let timeout {
                    let task = Task {
                        try? await Task.sleep(for: timeout)
                        guard !Task.isCancelled else { return }
                        if self.cancelWait(token) { once.resume(.success(false)) }
                    }
                    timer.withLock { $0 = task }
                }
            }
        } onCancel: {
            if let token = tokenBox.withLock({ $0 }) { cancelWait(token) }
            once.resume(.failure(CancellationError()))
        }
        timer.withLock { $0?.cancel() }
        if outcome, shared.withLock({ $0.closed && $0.nextOffset <= offset }) { throw StorageError.closed(log: name) }
        return outcome
    }
}

/// A continuation that may be resumed from several places (wake-up, timeout, cancellation) of
/// which only the first counts, even when it comes before the continuation is installed.
final class OnceContinuation: Sendable {
    private let state = Locked<(continuation: CheckedContinuation<Bool, any Error>?, early: Result<Bool, any Error>?, done: Bool)>(
        (nil, nil, false))

    func install(_ continuation: CheckedContinuation<Bool, any Error>) {
        let early = state.withLock { state -> Result<Bool, any Error>? in
            if let early = state.early {
                state.done = true
                return early
            }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(_ result: Result<Bool, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<Bool, any Error>? in
            guard !state.done else { return nil }
            guard let continuation = state.continuation else {
                if state.early == nil { state.early = result }
                return nil
            }
            state.done = true
            state.continuation = nil
            return continuation
        }
        continuation?.resume(with: result)
    }
}
