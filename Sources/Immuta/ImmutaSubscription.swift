import ImmutaProtocol
import NIOCore

/// The records of a subscription, as an `AsyncSequence`. Iterating grants the daemon new credit
/// as records are consumed, so a slow consumer is never flooded and a stopped one costs the
/// daemon nothing but a bounded buffer.
public struct ImmutaSubscription: AsyncSequence, Sendable {
    public typealias Element = ImmutaRecord

    let client: ImmutaClient
    /// The subscription's id on its connection.
    public let id: UInt32
    /// The offset the subscription started at.
    public let startOffset: UInt64
    let stream: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>

    /// Stops the subscription.
    public func cancel() async {
        let handler = client.handler
        let id = self.id
        try? await client.channel.eventLoop.submit { handler.value.removeSink(id) }.get()
        _ = try? await client.send(.unsubscribe(subscription: id))
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, id: id, batches: stream.makeAsyncIterator())
    }

    /// Yields records one by one from the batches the daemon pushes.
    public struct Iterator: AsyncIteratorProtocol {
        let client: ImmutaClient
        let id: UInt32
        var batches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.Iterator
        var current: [ImmutaRecord] = []
        var index = 0
        var owed: (records: UInt32, bytes: UInt64) = (0, 0)

        /// The next record; nil when the subscription ends.
        public mutating func next() async throws -> ImmutaRecord? {
            if index < current.count {
                defer { index += 1 }
                return current[index]
            }
            // The whole previous batch has been consumed: hand its credit back.
            if owed.records > 0 {
                client.sendWithoutResponse(.credit(subscription: id, records: owed.records, bytes: owed.bytes))
                owed = (0, 0)
            }
            while let batch = try await batches.next() {
                owed = (UInt32(batch.records.count), batch.bytes)
                guard !batch.records.isEmpty else { continue }
                current = batch.records
                index = 1
                return current[0]
            }
            return nil
        }
    }
}
