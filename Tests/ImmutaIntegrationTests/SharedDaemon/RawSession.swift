import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport
import ImmutaProtocol
import NIOCore

/// A raw protocol session for tests that need to send what the client library would not (bad
/// values, pipelines that are never read) and to see exactly which frame comes back.
///
/// Its reads block, so they run on a thread of their own: blocking the test runner's few
/// cooperative threads would stall every other test (and their daemons would time out clients
/// that never got to say HELLO).
final class RawSession: @unchecked Sendable {  // used by one test at a time
    let connection: RawConnection
    private var buffer = ByteBuffer()

    private init(connection: RawConnection) {
        self.connection = connection
    }

    /// Connects and, unless told not to, exchanges HELLO.
    static func connect(socket: String, hello: Bool = true) async throws -> RawSession {
        let session = RawSession(connection: try RawConnection(path: socket))
        if hello {
            try session.send(.hello(minVersion: 1, maxVersion: 1, clientName: "raw"), id: 0)
            guard case .helloOK = try await session.response() else { throw DaemonTestError("no HELLO_OK") }
        }
        return session
    }

    func send(_ request: Request, id: UInt32) throws {
        var out = ByteBuffer()
        request.encodeFrame(requestID: id, into: &out)
        try connection.send(Array(out.readableBytesView))
    }

    /// The next frame from the daemon, or an error when none arrives within `timeout`.
    func frame(timeout: Duration = .seconds(20)) async throws -> Frame {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.blockingFrame(timeout: timeout) })
            }
        }
    }

    private func blockingFrame(timeout: Duration) throws -> Frame {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let frame = try FrameDecoder.decodeFrame(from: &buffer, maxFrameLength: 1 << 30) { return frame }
            let left = deadline - ContinuousClock.now
            let bytes = connection.receive(atLeast: 1, timeout: left)
            guard !bytes.isEmpty else { throw DaemonTestError("no frame arrived (connection closed or timed out)") }
            buffer.writeBytes(bytes)
        }
    }

    /// The next frame answering request `id`, skipping pushes for earlier subscriptions and
    /// memberships.
    func frame(answering id: UInt32, timeout: Duration = .seconds(20)) async throws -> Frame {
        // Pushes could keep coming forever: the whole wait is bounded too, not only each frame.
        let deadline = Deadline("for an answer to request \(id)")
        while true {
            try deadline.check()
            let next = try await frame(timeout: timeout)
            if next.requestID == id { return next }
        }
    }

    func response(timeout: Duration = .seconds(20)) async throws -> Response {
        try Response(frame: await frame(timeout: timeout))
    }

    /// Sends a request and returns the answer's error code, or nil when it succeeded.
    func errorCode(of request: Request, id: UInt32 = 7) async throws -> ErrorCode? {
        try send(request, id: id)
        if case .error(let error) = try await response() { return error.code }
        return nil
    }

    /// Whether the daemon has closed the connection, waiting on a thread of its own.
    func isClosedByPeer() async -> Bool {
        let connection = self.connection
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: connection.isClosedByPeer()) }
        }
    }
}
