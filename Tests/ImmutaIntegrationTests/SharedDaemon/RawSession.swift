import ImmutaDaemonTesting
import ImmutaProtocol
import NIOCore

/// A raw protocol session for tests that need to send what the client library would not (bad
/// values, pipelines that are never read) and to see exactly which frame comes back.
final class RawSession {
    let connection: RawConnection
    private var buffer = ByteBuffer()

    /// Connects and, unless told not to, exchanges HELLO.
    init(socket: String, hello: Bool = true) throws {
        connection = try RawConnection(path: socket)
        if hello {
            try send(.hello(minVersion: 1, maxVersion: 1, clientName: "raw"), id: 0)
            guard case .helloOK = try response() else { throw DaemonTestError("no HELLO_OK") }
        }
    }

    func send(_ request: Request, id: UInt32) throws {
        var out = ByteBuffer()
        request.encodeFrame(requestID: id, into: &out)
        try connection.send(Array(out.readableBytesView))
    }

    /// The next frame from the daemon, or an error when none arrives within `timeout`.
    func frame(timeout: Duration = .seconds(20)) throws -> Frame {
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
    func frame(answering id: UInt32, timeout: Duration = .seconds(20)) throws -> Frame {
        while true {
            let next = try frame(timeout: timeout)
            if next.requestID == id { return next }
        }
    }

    func response(timeout: Duration = .seconds(20)) throws -> Response {
        try Response(frame: frame(timeout: timeout))
    }

    /// Sends a request and returns the answer's error code, or nil when it succeeded.
    func errorCode(of request: Request, id: UInt32 = 7) throws -> ErrorCode? {
        try send(request, id: id)
        if case .error(let error) = try response() { return error.code }
        return nil
    }
}
