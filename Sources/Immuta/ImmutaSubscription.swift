import ImmutaProtocol
import NIOCore

/// The records of a subscription, as an `AsyncSequence`. Iterating grants the daemon new credit
/// as records are consumed, so a slow consumer is never flooded and a stopped one costs the
/// daemon nothing but a bounded buffer.
///
/// When the connection is lost or immutad shuts down, the iterator subscribes again on a new
/// connection (as the client's ``ReconnectPolicy`` allows) from the offset after the last record
/// it returned: every record it received is returned once, in order, and none is skipped.
public struct ImmutaSubscription: AsyncSequence, Sendable {
    public typealias Element = ImmutaRecord

    let client: ImmutaClient
    let state: SubscriptionState
    let firstBatches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>
    /// The offset the subscription started at.
    public let startOffset: UInt64

    /// The subscription's id on its connection (a new one after it resumed on a new connection).
    public var id: UInt32 { state.leg.id }

    /// Stops the subscription: iteration ends.
    public func cancel() async {
        let leg = state.cancel()
        await leg.connection.removeSink(leg.id)
        _ = try? await leg.connection.send(.unsubscribe(subscription: leg.id), id: client.makeRequestID())
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, state: state, leg: state.leg, batches: firstBatches.makeAsyncIterator(), nextOffset: startOffset)
    }

    /// Yields records one by one from the batches the daemon pushes.
    public struct Iterator: AsyncIteratorProtocol {
        let client: ImmutaClient
        let state: SubscriptionState
        var leg: SubscriptionState.Leg
        var batches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.Iterator
        var current: [ImmutaRecord] = []
        var index = 0
        var owed: (records: UInt32, bytes: UInt64) = (0, 0)
        /// The offset after the last record returned: where the subscription resumes.
        var nextOffset: UInt64

        init(
            client: ImmutaClient, state: SubscriptionState, leg: SubscriptionState.Leg,
            batches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.Iterator, nextOffset: UInt64
        ) {
            self.client = client
            self.state = state
            self.leg = leg
            self.batches = batches
            self.nextOffset = nextOffset
        }

        /// The next record; nil when the subscription ends.
        public mutating func next() async throws -> ImmutaRecord? {
            if index < current.count { return take() }
            // The whole previous batch has been consumed: hand its credit back.
            if owed.records > 0 {
                leg.connection.sendWithoutResponse(
                    .credit(subscription: leg.id, records: owed.records, bytes: owed.bytes), id: client.makeRequestID())
                owed = (0, 0)
            }
            while true {
                do {
                    while let batch = try await batches.next() {
                        owed = (UInt32(batch.records.count), batch.bytes)
                        guard !batch.records.isEmpty else { continue }
                        current = batch.records
                        index = 0
                        return take()
                    }
                    return nil
                } catch let error as ImmutaError
                    where error.needsReconnect && client.reconnectPolicy.isEnabled && !state.isCancelled
                {
                    // Every batch received before the loss has been returned (the stream yields
                    // them before its error), so `nextOffset` follows the last record returned.
                    do {
                        try await resume(after: error)
                    } catch is CancellationError {
                        return nil  // as a cancelled stream ends
                    }
                }
            }
        }

        private mutating func take() -> ImmutaRecord {
            let record = current[index]
            index += 1
            nextOffset = record.offset + 1
            return record
        }

        /// Subscribes again from `nextOffset` on a new connection, through as many losses as
        /// happen within the policy's timeout.
        private mutating func resume(after error: ImmutaError) async throws {
            let policy = client.reconnectPolicy
            let lostAt = ContinuousClock.now
            policy.onEvent?(.lost(reason: error.message))
            (current, index, owed) = ([], 0, (0, 0))
            var lost = leg.connection
            while true {
                let connection = try await client.reconnect(after: lost)
                do {
                    guard let (leg, batches) = try await state.resubscribe(on: connection, client: client, from: nextOffset)
                    else { return }  // cancelled meanwhile: the old stream, ended, ends the iteration
                    self.leg = leg
                    self.batches = batches.makeAsyncIterator()
                    policy.onEvent?(.resumed(after: .now - lostAt, offset: nextOffset))
                    return
                } catch let failure as ImmutaError where failure.needsReconnect && .now - lostAt < policy.timeout {
                    lost = connection
                }
            }
        }
    }
}
