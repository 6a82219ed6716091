import ImmutaLocks
import Synchronization
import Logging
import CNats
import ImmutaStorage

extension TopicMirror {
    /// Publishes one record asynchronously. Waits while the window is full, and returns false
    /// without publishing when a failure was reported or a stop or pause was asked for meanwhile.
    func publish(_ batch: RecordBatch, _ index: Int, offset: UInt64, expecting expectedLast: String?, nats: NatsConnection) throws -> Bool {
        var message: OpaquePointer?
        defer { natsMsg_Destroy(message) }
        let payload = batch.payload(index)
        let created = payload.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { natsMsg_Create(&message, subject, nil, $0.baseAddress, Int32($0.count)) }
        }
        try NatsError.check(created, "natsMsg_Create")
        natsMsgHeader_Set(message, offsetHeader, String(offset))
        natsMsgHeader_Set(message, "Immuta-Timestamp", String(batch.entries[index].timestamp))
        natsMsgHeader_Set(message, "Immuta-Topic", topic.name)
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = settings.publishTimeoutMilliseconds
        let id = MirrorNames.messageID(host: host, topic: topic.name, offset: offset)
        while true {
            guard !control.isStopping, !control.isPaused, tracker.state.withLock({ $0.failure == nil }) else { return false }
            let status = id.withCString { id in
                withOptionalCString(expectedLast) { last in
                    options.MsgId = id
                    options.ExpectLastMsgId = last
                    return js_PublishMsgAsync(nats.context, &message, &options)
                }
            }
            if status == NATS_OK { return true }
            // A full window waits `StallWait` and then times out: go round, checking for failures.
            guard status == NATS_TIMEOUT else {
                try NatsError.check(status, "publishing offset \(offset) to \(subject)")
                return false
            }
        }
    }

    /// Recovers from a failed publish: takes back every publish in flight (their late
    /// acknowledgements are dropped), waits a little when the cluster is electing a leader or
    /// unreachable, and goes on after the last record the stream is known to hold.
    func rewind(
        after failure: PublishTracker.Failure, nats: NatsConnection, from position: Position, sessionStart: Position, backoff: inout Backoff
    ) throws -> Position {
        control.set(.rewinding)
        control.record(failure.error)
        control.state.withLock { $0.rewinds += 1 }
        var pending = natsMsgList()
        if js_PublishAsyncGetPendingList(&pending, nats.context) == NATS_OK { natsMsgList_Destroy(&pending) }
        var next: Position
        if failure.error.code == JSStreamWrongLastMsgIDErr, let lastID = failure.streamLastID {
            // The stream's last message is not the record before the refused one: a proposal lost
            // with a leader, or records that went missing. Go on right after what it does hold.
            guard let last = MirrorNames.offset(inMessageID: lastID, host: host, topic: topic.name) else {
                throw MirrorError.foreignWriter(stream: stream, messageID: lastID)
            }
            tracker.state.withLock { state in
                state.highestAcked = last
                state.failure = nil
            }
            next = Position(next: last + 1, expectedLast: lastID)
        } else {
            if failure.error.isTransient { control.sleep(milliseconds: backoff.take()) }
            next = tracker.state.withLock { state in
                state.failure = nil
                guard let acked = state.highestAcked else { return sessionStart }
                return Position(next: acked + 1, expectedLast: MirrorNames.messageID(host: host, topic: topic.name, offset: acked))
            }
            if next.next > position.next { next = position }
        }
        logger.info(
            "mirror publishing again from the last acknowledged record",
            metadata: ["mirror": "\(settings.name)", "topic": "\(topic.name)", "from": "\(next.next)", "after": "\(failure.error)"])
        return next
    }

    /// Persists the resume point when it moved: the offset after the highest acknowledged one.
    func commitAcknowledged() {
        guard let acked = tracker.state.withLock({ $0.highestAcked }) else { return }
        commit(acked + 1)
    }

    func commit(_ point: UInt64) {
        let moved = progress.withLock { progress -> Bool in
            defer { progress.resume = point }
            return progress.resume != point
        }
        guard moved || resume.committed == nil else { return }
        do {
            try resume.commit(point)
        } catch {
            // A resume point that is not written costs resends after a restart, which the stream
            // absorbs: the mirror goes on.
            control.record(error)
        }
    }
}

func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}
