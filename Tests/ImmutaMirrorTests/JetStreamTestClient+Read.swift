import CNats

/// One message read back from a stream.
struct StoredMessage {
    let sequence: UInt64
    let payload: [UInt8]
    let headers: [String: String]

    var offset: UInt64? { headers["Immuta-Offset"].flatMap { UInt64($0) } }
}

extension JetStreamTestClient {
    /// Every message of the stream, in stream order, through a durable pull consumer made for the
    /// purpose (read from the stream leader, as any consumer is).
    func readAll(_ stream: String, expecting count: Int, consumer: String = "verify") throws -> [StoredMessage] {
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        var code = jsErrCode(rawValue: 0)
        let added = consumer.withCString { name in
            config.Durable = name
            config.AckPolicy = js_AckNone
            config.DeliverPolicy = js_DeliverAll
            var info: UnsafeMutablePointer<jsConsumerInfo>?
            defer { jsConsumerInfo_Destroy(info) }
            return js_AddConsumer(&info, context, stream, &config, nil, &code)
        }
        try check(added, "add consumer \(consumer)", code: code)
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        var subscription: OpaquePointer?
        let bound = stream.withCString { stream in
            consumer.withCString { name in
                options.Stream = stream
                options.Consumer = name
                return js_PullSubscribe(&subscription, context, nil, name, nil, &options, &code)
            }
        }
        try check(bound, "bind consumer \(consumer)", code: code)
        defer { natsSubscription_Destroy(subscription) }
        natsSubscription_SetPendingLimits(subscription, -1, -1)
        var messages: [StoredMessage] = []
        var idle = 0
        while messages.count < count && idle < 5 {
            var list = natsMsgList()
            let status = natsSubscription_Fetch(&list, subscription, 1000, 2000, &code)
            defer { natsMsgList_Destroy(&list) }
            if status == NATS_TIMEOUT {
                idle += 1
                continue
            }
            try check(status, "fetch", code: code)
            idle = 0
            for index in 0..<Int(list.Count) {
                guard let message = list.Msgs[index] else { continue }
                messages.append(Self.stored(message))
            }
        }
        return messages
    }

    /// Messages `1...count` by sequence, each asked of the stream leader (STREAM.MSG.GET): slower
    /// than a consumer, but not served by whichever replica hosts the consumer.
    func readFromLeader(_ stream: String, count: Int) throws -> [StoredMessage] {
        var messages: [StoredMessage] = []
        messages.reserveCapacity(count)
        for sequence in 1...UInt64(max(count, 1)) {
            var message: OpaquePointer?
            defer { natsMsg_Destroy(message) }
            var code = jsErrCode(rawValue: 0)
            let status = js_GetMsg(&message, context, stream, sequence, nil, &code)
            if status == NATS_NOT_FOUND || code == JSNoMessageFoundErr { break }
            try check(status, "get message \(sequence)", code: code)
            messages.append(Self.stored(message!, sequence: sequence))
        }
        return messages
    }

    private static func stored(_ message: OpaquePointer, sequence: UInt64? = nil) -> StoredMessage {
        var metadata: UnsafeMutablePointer<jsMsgMetaData>?
        natsMsg_GetMetaData(&metadata, message)
        defer { jsMsgMetaData_Destroy(metadata) }
        let length = Int(natsMsg_GetDataLength(message))
        let payload = length == 0 ? [] : Array(UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: length))
        var headers: [String: String] = [:]
        for key in ["Immuta-Offset", "Immuta-Timestamp", "Immuta-Topic", "Nats-Msg-Id"] {
            var value: UnsafePointer<CChar>?
            if natsMsgHeader_Get(message, key, &value) == NATS_OK, let value { headers[key] = String(cString: value) }
        }
        return StoredMessage(sequence: sequence ?? metadata?.pointee.Sequence.Stream ?? 0, payload: payload, headers: headers)
    }

    /// Publishes `count` messages of `payload(i)` synchronously-acknowledged in windows (for sources).
    func publishMany(subject: String, count: Int, payload: (Int) -> [UInt8]) throws {
        for index in 0..<count {
            _ = try publish(subject: subject, payload: payload(index), messageID: "seed-\(index)", expectLast: nil)
        }
    }
}
