import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

extension ConnectionHandler {
    func handle(_ request: Request, requestID: UInt32, context: ChannelHandlerContext) {
        do {
            switch request {
            case .hello:
                break  // handled by channelRead
            case .ping:
                send(.pong, requestID: requestID)
            case .stats:
                let entries = broker.stats.snapshot(topics: broker.store.list().count)
                send(.stats(entries.map { Response.StatsEntry(name: $0.0, value: $0.1) }), requestID: requestID)
            case .createTopic(let name, let config):
                let topic = try broker.createTopic(name, config: config)
                send(.topicInfo(broker.info(topic)), requestID: requestID)
            case .deleteTopic(let name):
                try broker.deleteTopic(name)
                send(.ok, requestID: requestID)
            case .listTopics:
                send(.topicList(broker.store.list().map(broker.info)), requestID: requestID)
            case .describeTopic(let name):
                send(.topicInfo(broker.info(try broker.store.topic(name))), requestID: requestID)
            case .produce(let topic, let ack, let count, let records):
                try produce(topic: topic, ack: ack, count: count, records: records, requestID: requestID)
            case .fetch(let topic, let start, let maxRecords, let maxBytes, let wait):
                try fetch(
                    topic: topic, start: start, maxRecords: maxRecords, maxBytes: maxBytes, waitMilliseconds: wait,
                    requestID: requestID)
            case .subscribe(let topic, let start, let records, let bytes):
                try subscribe(topic: topic, start: start, creditRecords: records, creditBytes: bytes, requestID: requestID)
            case .credit(let id, let records, let bytes):
                guard let subscription = subscriptions[id] else {
                    throw ProtocolError(.unknownSubscription, "subscription \(id) is not open on this connection")
                }
                subscription.grant(records: UInt64(records), bytes: bytes)
                pump(id)
            case .group(let request):
                try handleGroup(request, requestID: requestID)
            case .unsubscribe(let id):
                guard let subscription = subscriptions.removeValue(forKey: id) else {
                    throw ProtocolError(.unknownSubscription, "subscription \(id) is not open on this connection")
                }
                subscription.cancel()
                broker.stats.subscriptions.wrappingSubtract(1, ordering: .relaxed)
                send(.ok, requestID: requestID)
            }
        } catch {
            sendError(error, requestID: requestID)
        }
    }

    private func produce(topic name: String, ack: WireAck, count: UInt32, records: ByteBuffer, requestID: UInt32) throws {
        let topic = try broker.store.topic(name)
        guard count > 0 else { throw ProtocolError(.invalidRequest, "a PRODUCE batch must hold at least one record") }
        let result = try records.withUnsafeReadableBytes { bytes in
            try topic.log.append(framed: bytes, expectedCount: Int(count))
        }
        broker.stats.recordsProduced.wrappingAdd(Int64(result.count), ordering: .relaxed)
        broker.stats.bytesProduced.wrappingAdd(Int64(records.readableBytes), ordering: .relaxed)
        let response = Response.produced(firstOffset: result.firstOffset, count: UInt32(result.count), timestamp: result.timestamp)
        switch ack {
        case .write:
            send(response, requestID: requestID)
        case .fsync:
            guard let context else { return }
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            Task {
                do {
                    try await topic.log.waitUntilDurable(result)
                    eventLoop.execute { handler.value.send(response, requestID: requestID, flush: true) }
                } catch {
                    let failure = ProtocolError.from(error)
                    eventLoop.execute { handler.value.sendError(failure, requestID: requestID, flush: true) }
                }
            }
        }
    }

    private func fetch(
        topic name: String, start: WireStart, maxRecords: UInt32, maxBytes: UInt32, waitMilliseconds: UInt32,
        requestID: UInt32
    ) throws {
        let topic = try broker.store.topic(name)
        let offset = try topic.log.resolve(start.storagePosition)
        // One response must fit the frame limit clients were told about in HELLO_OK.
        let frameRoom = broker.configuration.maxFrameLength - 4096
        let limits = (records: Int(max(1, maxRecords)), bytes: min(Int(max(1, maxBytes)), frameRoom))
        if let slice = try topic.log.slice(from: offset, maxRecords: limits.records, maxBytes: limits.bytes) {
            writeRecords(.records, requestID: requestID, slice: slice, logEnd: topic.log.nextOffset, flush: false)
            return
        }
        guard waitMilliseconds > 0, let context else {
            writeRecords(.records, requestID: requestID, slice: nil, firstOffset: offset, logEnd: offset, flush: false)
            return
        }
        let id = nextFetchID
        nextFetchID += 1
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let finish: @Sendable () -> Void = {
            eventLoop.execute {
                let this = handler.value
                guard let pending = this.pendingFetches.removeValue(forKey: id) else { return }
                pending.cancel()
                do {
                    let slice = try topic.log.slice(from: offset, maxRecords: limits.records, maxBytes: limits.bytes)
                    this.writeRecords(
                        .records, requestID: requestID, slice: slice, firstOffset: offset,
                        logEnd: topic.log.nextOffset, flush: true)
                } catch {
                    this.sendError(error, requestID: requestID, flush: true)
                }
            }
        }
        let token = topic.log.whenRecords(beyond: offset, finish)
        let timeout = eventLoop.scheduleTask(in: .milliseconds(Int64(waitMilliseconds))) { finish() }
        pendingFetches[id] = PendingFetch(log: topic.log, token: token, timeout: timeout)
        if token == nil { finish() }
    }

    private func subscribe(
        topic name: String, start: WireStart, creditRecords: UInt32, creditBytes: UInt64, requestID: UInt32
    ) throws {
        guard subscriptions[requestID] == nil else {
            throw ProtocolError(.invalidRequest, "request id \(requestID) already names an open subscription")
        }
        guard subscriptions.count < broker.configuration.maxSubscriptionsPerConnection else {
            throw ProtocolError(
                .tooManySubscriptions,
                "this connection already has \(subscriptions.count) subscriptions, the maximum; unsubscribe or open another connection")
        }
        let topic = try broker.store.topic(name)
        let offset = try topic.log.resolve(start.storagePosition)
        let subscription = Subscription(topic: topic, next: offset, records: UInt64(creditRecords), bytes: creditBytes)
        subscriptions[requestID] = subscription
        broker.stats.subscriptions.wrappingAdd(1, ordering: .relaxed)
        send(.subscribed(startOffset: offset), requestID: requestID)
        pump(requestID)
    }
}

extension WireStart {
    var storagePosition: StartPosition {
        switch self {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let offset): .offset(offset)
        case .timestamp(let time): .timestamp(time)
        }
    }
}

/// A FETCH waiting for records, cancelled when it completes, times out or the connection closes.
struct PendingFetch {
    let log: RecordLog
    let token: WaitToken?
    let timeout: Scheduled<Void>

    func cancel() {
        if let token { log.cancelWait(token) }
        timeout.cancel()
    }
}
