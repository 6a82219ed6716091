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

    init(topic: Topic, next: UInt64, records: UInt64, bytes: UInt64) {
        self.topic = topic
        self.next = next
        self.creditRecords = records
        self.creditBytes = bytes
    }

    func grant(records: UInt64, bytes: UInt64) {
        creditRecords = creditRecords.addingReportingOverflow(records).overflow ? .max : creditRecords + records
        creditBytes = creditBytes.addingReportingOverflow(bytes).overflow ? .max : creditBytes + bytes
    }

    func cancel() {
        if let waitToken { topic.log.cancelWait(waitToken) }
        waitToken = nil
    }
}

extension ConnectionHandler {
    /// The most one DELIVERY carries, so that credit and socket back-pressure stay fine-grained.
    static let deliveryMaxBytes = 1 << 20
    static let deliveryMaxRecords = 65_536

    /// Sends what the subscription has credit for, while the socket takes it; then waits for the
    /// next commit (woken by the writer, never polling) or for more credit or writability.
    func pump(_ id: UInt32) {
        guard let context, state == .ready, let subscription = subscriptions[id] else { return }
        var wrote = false
        defer { if wrote { context.flush() } }
        while subscription.creditRecords > 0 && subscription.creditBytes > 0 && context.channel.isWritable {
            let slice: LogSlice?
            do {
                slice = try subscription.topic.log.slice(
                    from: subscription.next,
                    maxRecords: Int(min(subscription.creditRecords, UInt64(Self.deliveryMaxRecords))),
                    maxBytes: Int(min(subscription.creditBytes, UInt64(Self.deliveryMaxBytes))))
            } catch {
                subscriptions[id] = nil
                subscription.cancel()
                broker.stats.subscriptions.wrappingSubtract(1, ordering: .relaxed)
                sendError(error, requestID: id)
                wrote = true
                return
            }
            guard let slice else {
                guard subscription.waitToken == nil else { return }
                let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                let token = subscription.topic.log.whenRecords(beyond: subscription.next) {
                    eventLoop.execute {
                        handler.value.subscriptions[id]?.waitToken = nil
                        handler.value.pump(id)
                    }
                }
                guard let token else { continue }
                subscription.waitToken = token
                return
            }
            writeRecords(.delivery, requestID: id, slice: slice, logEnd: subscription.topic.log.nextOffset, flush: false)
            wrote = true
            subscription.next = slice.nextOffset
            subscription.creditRecords -= UInt64(slice.count)
            subscription.creditBytes -= min(subscription.creditBytes, slice.dataLength)
        }
    }
}
