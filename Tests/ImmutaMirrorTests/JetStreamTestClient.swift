import CNats

#if canImport(Glibc)
    import Glibc
#endif

/// A NATS error, with the server's JetStream error code when there is one.
struct NatsFailure: Error, CustomStringConvertible {
    let status: natsStatus
    let code: jsErrCode
    let what: String

    /// A failure a leader election or a lost connection causes, which a retry outlives.
    var isTransient: Bool {
        status == NATS_TIMEOUT || status == NATS_NO_RESPONDERS || status == NATS_CONNECTION_DISCONNECTED
            || code == JSClusterNotAvailErr
    }

    var description: String {
        "\(what): \(String(cString: natsStatus_GetText(status)))" + (code.rawValue == 0 ? "" : " (JetStream error \(code.rawValue))")
    }
}

func check(_ status: natsStatus, _ what: String, code: jsErrCode = jsErrCode(rawValue: 0)) throws {
    guard status == NATS_OK else { throw NatsFailure(status: status, code: code, what: what) }
}

/// The libnats calls the tests make, synchronously, on the calling thread (libnats blocks; a
/// test owns the thread for the call's length). Not the mirror itself: its first building block,
/// the C interop, against a real cluster.
final class JetStreamTestClient {
    struct Published {
        let sequence: UInt64
        let duplicate: Bool
    }

    private let connection: OpaquePointer
    let context: OpaquePointer

    init(urls: [String]) throws {
        var options: OpaquePointer?
        try check(natsOptions_Create(&options), "natsOptions_Create")
        defer { natsOptions_Destroy(options) }
        let strings = urls.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var servers = strings.map { UnsafePointer<CChar>($0) }
        try check(servers.withUnsafeMutableBufferPointer { natsOptions_SetServers(options, $0.baseAddress, Int32($0.count)) }, "servers")
        try check(natsOptions_SetMaxReconnect(options, -1), "reconnect")
        try check(natsOptions_SetReconnectWait(options, 100), "reconnect wait")
        var connection: OpaquePointer?
        try check(natsConnection_Connect(&connection, options), "connect to \(urls)")
        self.connection = connection!
        var jetStreamOptions = jsOptions()
        try check(jsOptions_Init(&jetStreamOptions), "jsOptions_Init")
        var context: OpaquePointer?
        try check(natsConnection_JetStream(&context, self.connection, &jetStreamOptions), "JetStream context")
        self.context = context!
    }

    deinit {
        jsCtx_Destroy(context)
        natsConnection_Destroy(connection)
    }

    /// Creates a file-stored stream of `subject` with `replicas` and a 2-minute duplicate window.
    func addStream(_ name: String, subject: String, replicas: Int) throws {
        var config = jsStreamConfig()
        try check(jsStreamConfig_Init(&config), "jsStreamConfig_Init")
        var code = jsErrCode(rawValue: 0)
        let status = name.withCString { name in
            subject.withCString { subject in
                var subjects: [UnsafePointer<CChar>?] = [subject]
                return subjects.withUnsafeMutableBufferPointer { list in
                    config.Name = name
                    config.Subjects = list.baseAddress
                    config.SubjectsLen = 1
                    config.Storage = js_FileStorage
                    config.Replicas = Int64(replicas)
                    config.Duplicates = 120_000_000_000  // nanoseconds
                    var info: UnsafeMutablePointer<jsStreamInfo>?
                    defer { jsStreamInfo_Destroy(info) }
                    return js_AddStream(&info, context, &config, nil, &code)
                }
            }
        }
        try check(status, "add stream \(name)", code: code)
    }

    /// Publishes `payload` with a message id, and the id of the message that must be the stream's
    /// last (nil: none checked); waits for the acknowledgement.
    func publish(subject: String, payload: [UInt8], messageID: String, expectLast: String?) throws -> Published {
        var message: OpaquePointer?
        let created = payload.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { natsMsg_Create(&message, subject, nil, $0.baseAddress, Int32($0.count)) }
        }
        try check(created, "natsMsg_Create")
        defer { natsMsg_Destroy(message) }
        var options = jsPubOptions()
        try check(jsPubOptions_Init(&options), "jsPubOptions_Init")
        options.MaxWait = 5000
        var ack: UnsafeMutablePointer<jsPubAck>?
        defer { jsPubAck_Destroy(ack) }
        var code = jsErrCode(rawValue: 0)
        let status = messageID.withCString { id in
            withOptionalCString(expectLast) { last in
                options.MsgId = id
                options.ExpectLastMsgId = last
                return js_PublishMsg(&ack, context, message, &options, &code)
            }
        }
        try check(status, "publish \(messageID)", code: code)
        return Published(sequence: ack?.pointee.Sequence ?? 0, duplicate: ack?.pointee.Duplicate ?? false)
    }

    /// The stream's message count and last sequence, and its leader's server name.
    func streamState(_ name: String) throws -> (messages: UInt64, lastSequence: UInt64, leader: String?) {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        defer { jsStreamInfo_Destroy(info) }
        var code = jsErrCode(rawValue: 0)
        try check(js_GetStreamInfo(&info, context, name, nil, &code), "stream info \(name)", code: code)
        let state = info!.pointee.State
        let leader = info!.pointee.Cluster?.pointee.Leader.map { String(cString: $0) }
        return (state.Msgs, state.LastSeq, leader)
    }
}

private func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
