import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

/// One SUBSCRIBE on a connection: where it has got to and how much credit the client has left.
final class Subscription {
    let topic: Topic
    var next: UInt64
    var creditRecords: UInt64
    var creditBytes: UInt64
    var waitToken: WaitToken?
    /// Whether replies are being built on the worker.
    var pumping = false

    init(topic: Topic, next: UInt64, records: UInt64, bytes: UInt64) {
        self.topic = topic
        self.next = next
        self.creditRecords = records
        self.creditBytes = bytes
    }

    /// Adds credit, saturating at 2⁶⁴ − 1.
    func grant(records: UInt64, bytes: UInt64) {
        creditRecords = creditRecords.addingSaturating(records)
        creditBytes = creditBytes.addingSaturating(bytes)
    }

    func cancel() {
        if let waitToken { topic.log.cancelWait(waitToken) }
        waitToken = nil
    }

    var hasCredit: Bool { creditRecords > 0 && creditBytes > 0 }
}

extension ConnectionHandler {
    /// The most one DELIVERY carries, so that credit and socket back-pressure stay fine-grained.
    static let deliveryMaxBytes = 1 << 20
    static let deliveryMaxRecords = RecordsReply.maxRecords

    func openSubscription(_ id: UInt32, topic: Topic, offset: UInt64, records: UInt32, bytes: UInt64) {
        guard subscriptions.count < limits.maxSubscriptionsPerConnection else {
            sendError(
                ProtocolError(
                    .tooManySubscriptions,
                    "this connection already has \(subscriptions.count) subscriptions, the limit max_subscriptions_per_connection = \(limits.maxSubscriptionsPerConnection); unsubscribe or open another connection"),
                requestID: id)
            return
        }
        subscriptions[id] = Subscription(topic: topic, next: offset, records: UInt64(records), bytes: bytes)
        broker.stats.subscriptions.wrappingAdd(1, ordering: .relaxed)
        send(.subscribed(startOffset: offset), requestID: id)
        pump(id)
    }

    func credit(_ id: UInt32, records: UInt32, bytes: UInt64, requestID: UInt32) {
        guard let subscription = subscriptions[id] else {
            sendError(ProtocolError(.unknownSubscription, "subscription \(id) is not open on this connection"), requestID: requestID)
            return
        }
        subscription.grant(records: UInt64(records), bytes: bytes)
        pump(id)
    }

    func closeSubscription(_ id: UInt32, requestID: UInt32) {
        guard let subscription = subscriptions.removeValue(forKey: id) else {
            sendError(ProtocolError(.unknownSubscription, "subscription \(id) is not open on this connection"), requestID: requestID)
            return
        }
        subscription.cancel()
        broker.stats.subscriptions.wrappingSubtract(1, ordering: .relaxed)
        send(.ok, requestID: requestID)
    }

    /// Sends what the subscription has credit for while the socket takes it; then waits for the
    /// next commit (woken by the writer, never polling) or for more credit or writability. The
    /// replies are built on the worker, a socket's worth at a time.
    func pump(_ id: UInt32) {
        guard let context, state == .ready, context.channel.isWritable, let subscription = subscriptions[id],
            !subscription.pumping, subscription.waitToken == nil, subscription.hasCredit
        else { return }
        subscription.pumping = true
        let topic = subscription.topic
        let start = (next: subscription.next, records: subscription.creditRecords, bytes: subscription.creditBytes)
        let key = ObjectIdentifier(subscription)
        let budget = limits.maxQueuedReplyBytes
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let broker = self.broker
        worker.async {
            var cursor = start
            var replies: [RecordsReply] = []
            var failure: (any Error)?
            var built = 0
            do {
                while cursor.records > 0 && cursor.bytes > 0 && built < budget {
                    guard
                        let slice = try topic.log.slice(
                            from: cursor.next, maxRecords: Int(min(cursor.records, UInt64(Self.deliveryMaxRecords))),
                            maxBytes: Int(min(cursor.bytes, UInt64(Self.deliveryMaxBytes))))
                    else { break }
                    let reply = try RecordsReply.make(.delivery, requestID: id, slice: slice, logEnd: topic.log.nextOffset)
                    replies.append(reply)
                    built += max(reply.bufferedBytes, reply.dataLength)
                    cursor.next = slice.nextOffset
                    cursor.records -= UInt64(slice.count)
                    cursor.bytes -= min(cursor.bytes, slice.dataLength)
                }
            } catch {
                failure = error
            }
            let shuttingDown = broker.isShuttingDown
            let finalFailure = failure.map { ProtocolError.from($0, shuttingDown: shuttingDown) }
            let (finalCursor, finalReplies) = (cursor, replies)
            eventLoop.execute {
                handler.value.delivered(
                    id, subscription: key, replies: finalReplies, cursor: finalCursor,
                    failure: finalFailure)
            }
        }
    }

    /// Writes what ``pump(_:)`` built and moves the subscription on.
    private func delivered(
        _ id: UInt32, subscription key: ObjectIdentifier, replies: [RecordsReply],
        cursor: (next: UInt64, records: UInt64, bytes: UInt64), failure: ProtocolError?
    ) {
        guard let subscription = subscriptions[id], ObjectIdentifier(subscription) == key, state == .ready else {
            replies.forEach { $0.discard() }
            return
        }
        subscription.pumping = false
        for reply in replies { write(reply, flush: false) }
        // Credit granted while the worker ran is kept: take only what was used.
        let usedRecords = replies.reduce(0) { $0 + UInt64($1.count) }
        let usedBytes = replies.reduce(0) { $0 + UInt64($1.dataLength) }
        subscription.creditRecords -= min(subscription.creditRecords, usedRecords)
        subscription.creditBytes -= min(subscription.creditBytes, usedBytes)
        subscription.next = cursor.next
        context?.flush()
        if let failure {
            subscriptions[id] = nil
            subscription.cancel()
            broker.stats.subscriptions.wrappingSubtract(1, ordering: .relaxed)
            sendError(failure, requestID: id, flush: true)
            return
        }
        if replies.isEmpty {
            // Caught up: wait for the writer's next commit.
            return waitForCommit(id, subscription)
        }
        pump(id)
    }
}
