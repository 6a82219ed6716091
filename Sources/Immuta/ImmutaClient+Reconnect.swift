import ImmutaLocks
import ImmutaProtocol
import Synchronization

extension ImmutaClient {
    /// A working connection to use instead of `lost`, the one a caller saw fail: the one another
    /// caller has already put in its place, the attempt under way, or a new attempt. One attempt
    /// is shared by every caller, so that all of this client's work moves to the same connection.
    ///
    /// - Parameters:
    ///   - announcing: the attempt this call starts, if any, tells the policy's `onEvent` of the
    ///     loss and of the new connection (subscriptions and group members tell of their own
    ///     resumption instead, with where they resumed).
    ///   - resumeOffset: the offset the caller's read resumes at, for that announcement.
    /// - Throws: a connection-lost ``ImmutaError`` once the policy's timeout passes without a
    ///   connection (or at once when the client was closed); `CancellationError` when the caller
    ///   is cancelled (the attempt goes on for the others).
    func reconnect(after lost: ClientConnection, announcing: Bool = false, resumeOffset: UInt64? = nil) async throws
        -> ClientConnection
    {
        enum Next {
            case ready(ClientConnection)
            case waiting(Task<ClientConnection, any Error>)
        }
        let next = try link.withLock { link throws(ImmutaError) -> Next in
            if link.closed { throw ImmutaError.connectionClosed("the client was closed") }
            if link.current !== lost { return .ready(link.current) }
            if let attempt = link.reconnecting { return .waiting(attempt) }
            let attempt = Task { try await self.replace(lost, announcing: announcing, resumeOffset: resumeOffset) }
            link.reconnecting = attempt
            return .waiting(attempt)
        }
        switch next {
        case .ready(let connection): return connection
        case .waiting(let attempt): return try await CancellableWait.value(of: attempt)
        }
    }

    /// Runs `body` on a working connection, and again on a new one when the connection is lost
    /// before it completes, within the policy's timeout: for requests that are safe to repeat,
    /// such as opening a subscription or joining a group (a membership opened on a lost
    /// connection ended with it).
    func repeatingOnLoss<T>(_ body: (ClientConnection) async throws -> T) async throws -> T {
        var connection = try await usableConnection()
        let started = ContinuousClock.now
        while true {
            do {
                return try await body(connection)
            } catch let error as ImmutaError
                where error.needsReconnect && reconnectPolicy.isEnabled && .now - started < reconnectPolicy.timeout
            {
                connection = try await reconnect(after: connection, announcing: true)
            }
        }
    }

    /// Connects again and again, backing off, until a connection answers HELLO or the timeout
    /// passes; then makes it the current one.
    private func replace(_ lost: ClientConnection, announcing: Bool, resumeOffset: UInt64?) async throws -> ClientConnection {
        defer { link.withLock { $0.reconnecting = nil } }
        let policy = reconnectPolicy
        let started = ContinuousClock.now
        let deadline = started + policy.timeout
        if announcing {
            policy.onEvent?(.lost(reason: lost.retired.reason?.message ?? "the connection to immutad closed"))
        }
        var backoff = ReconnectBackoff(policy)
        var failure = ImmutaError.connectionClosed()
        while !Task.isCancelled {
            do {
                let connection = try await ClientConnection.open(
                    socketPath: socketPath, clientName: clientName, group: eventLoopGroup, requestID: makeRequestID(),
                    deadline: deadline)
                let installed = link.withLock { link in
                    if !link.closed { link.current = connection }
                    return !link.closed
                }
                guard installed else {
                    await connection.close()
                    throw ImmutaError.connectionClosed("the client was closed")
                }
                if announcing { policy.onEvent?(.resumed(after: .now - started, offset: resumeOffset)) }
                return connection
            } catch let error as ImmutaError where !error.needsReconnect && error.code != .tooManyConnections {
                // The daemon answered and refused (another protocol version, …): no retry helps.
                throw error
            } catch let error as ImmutaError {
                failure = error
            } catch {
                failure = ImmutaError.connectionClosed("\(error)")
            }
            // The last attempt is made at the deadline, so a daemon back just in time is found.
            guard ContinuousClock.now < deadline else { break }
            let pause = min(backoff.pause(), deadline - .now)
            try? await Task.sleep(for: pause)  // a back-off between attempts, not a wait for readiness
        }
        if Task.isCancelled { throw CancellationError() }
        throw ImmutaError.connectionClosed(
            "could not reconnect to immutad at \(socketPath) within \(policy.timeout.secondsText): \(failure.message)")
    }
}

/// Waiting for a shared task without tying its fate to one waiter.
enum CancellableWait {
    /// `task`'s value; throws `CancellationError` as soon as the waiting task is cancelled, while
    /// `task` goes on for whoever else waits for it (awaiting `task.value` alone would hold the
    /// cancelled waiter until the task ends).
    static func value<T: Sendable>(of task: Task<T, any Error>) async throws -> T {
        let slot = ContinuationSlot<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                slot.fill(continuation)
                if Task.isCancelled { slot.resume(with: .failure(CancellationError())) }
                Task { slot.resume(with: await task.result) }
            }
        } onCancel: {
            slot.resume(with: .failure(CancellationError()))
        }
    }
}

/// A continuation resumed once, by whichever comes first.
private final class ContinuationSlot<T: Sendable>: Sendable {
    private let continuation = Locked<CheckedContinuation<T, any Error>?>(nil)

    func fill(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

extension Duration {
    /// `30 s`, `2.5 s`, `0.2 s`: for messages.
    var secondsText: String {
        let tenths = (wholeMilliseconds + 50) / 100
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
}
