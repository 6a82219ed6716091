import CNats

/// A failed libnats call: the client's status, JetStream's error code when the server refused,
/// and the text of whichever said more.
public struct NatsError: Error, Sendable, CustomStringConvertible {
    public let status: natsStatus
    public let code: jsErrCode
    public let what: String
    public let text: String

    init(_ status: natsStatus, code: jsErrCode = jsErrCode(rawValue: 0), what: String, text: String? = nil) {
        self.status = status
        self.code = code
        self.what = what
        self.text = text ?? String(cString: natsStatus_GetText(status))
    }

    /// A failure that a leader election, a restart or a lost connection causes, and a retry outlives.
    public var isTransient: Bool {
        status == NATS_TIMEOUT || status == NATS_NO_RESPONDERS || status == NATS_CONNECTION_DISCONNECTED
            || status == NATS_NOT_YET_CONNECTED || status == NATS_CONNECTION_CLOSED || status == NATS_NO_SERVER
            || status == NATS_STALE_CONNECTION || status == NATS_IO_ERROR || code == JSClusterNotAvailErr
            || code == JSStreamOfflineErr || code == JSConsumerOfflineErr || code == JSInsufficientResourcesErr
    }

    public var description: String {
        "\(what): \(text)" + (code.rawValue == 0 ? "" : " (JetStream error \(code.rawValue))")
    }

    /// Throws unless `status` is NATS_OK, with the thread's last libnats error text when it has one.
    static func check(_ status: natsStatus, _ what: @autoclosure () -> String, code: jsErrCode = jsErrCode(rawValue: 0)) throws(NatsError) {
        guard status != NATS_OK else { return }
        var last = NATS_OK
        let detail = nats_GetLastError(&last).map { String(cString: $0) }
        throw NatsError(status, code: code, what: what(), text: detail.flatMap { $0.isEmpty ? nil : $0 })
    }
}
