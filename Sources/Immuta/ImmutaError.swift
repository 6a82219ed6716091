import ImmutaProtocol

/// An error from the Immuta client: either the server's answer (with its stable code) or a
/// local failure such as a lost connection.
public struct ImmutaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stable protocol code (see docs/PROTOCOL.md); ``ErrorCode/internalError`` for local failures.
    public var code: ErrorCode
    /// What went wrong.
    public var message: String
    /// True when the connection was lost (or never made): the request may or may not have been
    /// carried out. ``ImmutaProducer`` resends such batches on a new connection.
    public var isConnectionLost = false

    /// Creates an error.
    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: ProtocolError) {
        self.init(code: error.code, message: error.message)
    }

    /// The connection to immutad closed.
    public static func connectionClosed(_ detail: String = "the connection to immutad closed") -> ImmutaError {
        var error = ImmutaError(code: .internalError, message: detail)
        error.isConnectionLost = true
        return error
    }

    /// True when the work can go on only over a new connection: the connection was lost, or the
    /// daemon answered `shutting_down` (it is stopping, and under socket activation a new one
    /// takes the socket over). See ``ReconnectPolicy`` for what the client then does by itself.
    public var needsReconnect: Bool { isConnectionLost || code == .shuttingDown }

    /// True when the daemon refused a value of the request as out of range or malformed
    /// (`invalid_request`, `invalid_name`, `segment_size_out_of_range`): the caller's mistake.
    public var isInvalidValue: Bool { [.invalidRequest, .invalidName, .segmentSizeOutOfRange].contains(code) }

    /// True when the daemon's access rules refused the request (`permission_denied`).
    public var isPermissionDenied: Bool { code == .permissionDenied }

    /// The message and its code; a lost connection has no code from the daemon to show (the
    /// `internal_error` it carries would read as a daemon bug).
    public var description: String { isConnectionLost ? message : "\(message) [\(code)]" }
}
