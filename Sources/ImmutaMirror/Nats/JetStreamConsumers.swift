import CNats

/// The consumer calls a source makes: ensure its durable pull consumer, bind to it, fetch.
extension NatsConnection {
    struct ConsumerSpec {
        var stream: String
        var durable: String
        var filterSubject: String?
        var ackWaitMilliseconds: Int64
        var maxAckPending: Int
    }

    /// Makes the durable consumer deliver from the message after `applied`, the last one the
    /// topic holds. An existing consumer is kept when it has delivered nothing beyond that;
    /// otherwise it is created again starting there. Messages delivered before a crash and never
    /// appended would only come back after the ack wait, behind later ones, and an
    /// acknowledgement of a later message (ack policy "all") would cover them: they would be lost.
    /// The topic's own record of what it holds decides where delivery starts, not the consumer.
    func ensureConsumer(_ spec: ConsumerSpec, after applied: UInt64) throws(NatsError) -> String? {
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        defer { jsConsumerInfo_Destroy(info) }
        var code = jsErrCode(rawValue: 0)
        let status = js_GetConsumerInfo(&info, context, spec.stream, spec.durable, nil, &code)
        var note = "created durable consumer \(spec.durable) of stream \(spec.stream) from stream sequence \(applied + 1)"
        if status == NATS_OK {
            if info!.pointee.Delivered.Stream <= applied { return nil }
            let delivered = info!.pointee.Delivered.Stream
            try NatsError.check(
                js_DeleteConsumer(context, spec.stream, spec.durable, nil, &code), "deleting consumer \(spec.durable) to restart it", code: code)
            note = "restarted durable consumer \(spec.durable) from stream sequence \(applied + 1): it had delivered up to \(delivered), beyond what the topic holds"
        } else if status != NATS_NOT_FOUND && code != JSConsumerNotFoundErr {
            try NatsError.check(status, "looking up consumer \(spec.durable) of stream \(spec.stream)", code: code)
        }
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        let created = spec.durable.withCString { durable in
            withOptionalCString(spec.filterSubject) { filter in
                config.Durable = durable
                config.FilterSubject = filter
                // One acknowledgement covers the whole batch before it.
                config.AckPolicy = js_AckAll
                config.AckWait = spec.ackWaitMilliseconds * 1_000_000
                config.MaxAckPending = Int64(spec.maxAckPending)
                config.DeliverPolicy = applied == 0 ? js_DeliverAll : js_DeliverByStartSequence
                config.OptStartSeq = applied == 0 ? 0 : applied + 1
                var made: UnsafeMutablePointer<jsConsumerInfo>?
                defer { jsConsumerInfo_Destroy(made) }
                return js_AddConsumer(&made, context, spec.stream, &config, nil, &code)
            }
        }
        try NatsError.check(created, "creating consumer \(spec.durable) of stream \(spec.stream)", code: code)
        return note
    }

    /// A pull subscription bound to an existing durable consumer (destroying it leaves the consumer).
    func bindPullSubscription(stream: String, durable: String) throws(NatsError) -> OpaquePointer {
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        var subscription: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let status = stream.withCString { stream in
            durable.withCString { durable in
                options.Stream = stream
                options.Consumer = durable
                return js_PullSubscribe(&subscription, context, nil, durable, nil, &options, &code)
            }
        }
        try NatsError.check(status, "binding to consumer \(durable) of stream \(stream)", code: code)
        return subscription!
    }
}

/// A fetched message's data and JetStream metadata.
struct FetchedMessage {
    let message: OpaquePointer
    let streamSequence: UInt64
    let pending: UInt64
    let timestamp: Int64

    init?(_ message: OpaquePointer) {
        var metadata: UnsafeMutablePointer<jsMsgMetaData>?
        guard natsMsg_GetMetaData(&metadata, message) == NATS_OK, let metadata else { return nil }
        defer { jsMsgMetaData_Destroy(metadata) }
        self.message = message
        streamSequence = metadata.pointee.Sequence.Stream
        pending = metadata.pointee.NumPending
        timestamp = metadata.pointee.Timestamp
    }

    var payload: UnsafeRawBufferPointer {
        let length = Int(natsMsg_GetDataLength(message))
        guard length > 0, let data = natsMsg_GetData(message) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: length)
    }
}
