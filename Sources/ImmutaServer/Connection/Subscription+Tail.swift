import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

/// A caught-up subscription waits at the log's end; the batch that wakes it, when small, comes
/// with the wake-up and goes out from memory on the event loop. That skips the round trip to the
/// connection's worker (a thread hop there and back) that a read of the file would need, which
/// is most of the end-to-end latency on a small machine. Anything else (a batch too large, not
/// enough credit, a socket that is full) takes the usual path through ``pump(_:)``.
extension ConnectionHandler {
    /// Waits for the writer's next commit beyond the subscription's position, or pumps at once
    /// when records are already there.
    func waitForCommit(_ id: UInt32, _ subscription: Subscription) {
        guard let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let key = ObjectIdentifier(subscription)
        let token = subscription.topic.log.whenRecords(beyond: subscription.next) { (batch: AppendedBatch?) in
            eventLoop.execute { handler.value.committed(id, subscription: key, batch: batch) }
        }
        guard let token else { return pump(id) }
        subscription.waitToken = token
    }

    private func committed(_ id: UInt32, subscription key: ObjectIdentifier, batch: AppendedBatch?) {
        guard let subscription = subscriptions[id], ObjectIdentifier(subscription) == key else { return }
        subscription.waitToken = nil
        guard let batch, sendFromMemory(batch, id: id, subscription) else { return pump(id) }
        // Usually still at the end: wait again without a trip to the worker.
        if subscription.hasCredit { waitForCommit(id, subscription) }
    }

    /// Sends `batch` as one DELIVERY when it is exactly what the subscription would read next and
    /// fits its credit. Returns false, having sent nothing, otherwise.
    private func sendFromMemory(_ batch: AppendedBatch, id: UInt32, _ subscription: Subscription) -> Bool {
        guard let context, state == .ready, context.channel.isWritable, !subscription.pumping,
            subscription.next == batch.firstOffset, batch.count <= Self.deliveryMaxRecords,
            batch.dataLength <= Self.deliveryMaxBytes, subscription.creditRecords >= UInt64(batch.count),
            subscription.creditBytes >= UInt64(batch.dataLength)
        else { return false }
        write(RecordsReply.make(.delivery, requestID: id, appended: batch, allocator: context.channel.allocator), flush: true)
        subscription.creditRecords -= UInt64(batch.count)
        subscription.creditBytes -= UInt64(batch.dataLength)
        subscription.next = batch.nextOffset
        broker.stats.recordsDeliveredFromMemory.wrappingAdd(Int64(batch.count), ordering: .relaxed)
        return true
    }
}
