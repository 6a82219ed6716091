import CNats

/// The stream calls a mirror makes: ensure its stream exists, and read its newest message's id.
extension NatsConnection {
    /// What a mirror asks of a stream it creates.
    struct StreamSpec {
        var name: String
        var subject: String
        var replicas: Int
        var duplicateWindowMilliseconds: Int64
    }

    /// Creates the stream unless it exists. An existing stream is used as it is (an operator may
    /// have made it with other limits), provided it takes the subject.
    /// - Returns: a note when the stream was created.
    func ensureStream(_ spec: StreamSpec) throws(NatsError) -> String? {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        defer { jsStreamInfo_Destroy(info) }
        var code = jsErrCode(rawValue: 0)
        let status = js_GetStreamInfo(&info, context, spec.name, nil, &code)
        if status == NATS_OK { return nil }
        guard status == NATS_NOT_FOUND || code == JSStreamNotFoundErr else {
            try NatsError.check(status, "looking up stream \(spec.name)", code: code)
            return nil
        }
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        let created = spec.name.withCString { name in
            spec.subject.withCString { subject in
                var subjects: [UnsafePointer<CChar>?] = [subject]
                return subjects.withUnsafeMutableBufferPointer { list in
                    config.Name = name
                    config.Subjects = list.baseAddress
                    config.SubjectsLen = 1
                    config.Storage = js_FileStorage
                    config.Replicas = Int64(spec.replicas)
                    config.Duplicates = spec.duplicateWindowMilliseconds * 1_000_000
                    var made: UnsafeMutablePointer<jsStreamInfo>?
                    defer { jsStreamInfo_Destroy(made) }
                    return js_AddStream(&made, context, &config, nil, &code)
                }
            }
        }
        try NatsError.check(created, "creating stream \(spec.name) (subject \(spec.subject), \(spec.replicas) replicas)", code: code)
        return "created stream \(spec.name) for subject \(spec.subject) with \(spec.replicas) replicas"
    }

    /// The id (`Nats-Msg-Id`) of the newest message on `subject`, "" when it has none, or nil
    /// when the stream holds no message on the subject.
    func lastMessageID(stream: String, subject: String) throws(NatsError) -> String? {
        var message: OpaquePointer?
        defer { natsMsg_Destroy(message) }
        var code = jsErrCode(rawValue: 0)
        let status = js_GetLastMsg(&message, context, stream, subject, nil, &code)
        if status == NATS_NOT_FOUND || code == JSNoMessageFoundErr { return nil }
        try NatsError.check(status, "reading the newest message of stream \(stream)", code: code)
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(message, "Nats-Msg-Id", &value) == NATS_OK, let value else { return "" }
        return String(cString: value)
    }

    /// The stream's message count and last sequence.
    func streamState(_ name: String) throws(NatsError) -> (messages: UInt64, lastSequence: UInt64) {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        defer { jsStreamInfo_Destroy(info) }
        var code = jsErrCode(rawValue: 0)
        try NatsError.check(js_GetStreamInfo(&info, context, name, nil, &code), "stream info \(name)", code: code)
        return (info!.pointee.State.Msgs, info!.pointee.State.LastSeq)
    }
}
