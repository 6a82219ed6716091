import ImmutaLocks
import Synchronization
import ImmutaProtocol

/// What a subscription needs to subscribe again on a new connection, and which connection and
/// id it is on now (shared by the ``ImmutaSubscription`` and its iterator).
final class SubscriptionState: Sendable {
    /// The subscription on one connection.
    struct Leg: Sendable {
        var connection: ClientConnection
        var id: UInt32
    }

    let topic: String
    let creditRecords: UInt32
    let creditBytes: UInt64
    private let state: Locked<(leg: Leg, cancelled: Bool)>

    init(topic: String, creditRecords: UInt32, creditBytes: UInt64, leg: Leg) {
        self.topic = topic
        self.creditRecords = creditRecords
        self.creditBytes = creditBytes
        state = Locked((leg, false))
    }

    var leg: Leg { state.withLock { $0.leg } }
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Marks the subscription cancelled (it does not resume any more) and returns its leg.
    func cancel() -> Leg {
        state.withLock { state in
            state.cancelled = true
            return state.leg
        }
    }

    /// SUBSCRIBE on `connection`: the stream of its deliveries and the offset it starts at.
    static func subscribe(
        on connection: ClientConnection, id: UInt32, topic: String, from start: StartPosition, creditRecords: UInt32,
        creditBytes: UInt64
    ) async throws -> (AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>, startOffset: UInt64) {
        let (stream, continuation) = AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.makeStream()
        let response = try await connection.send(
            .subscribe(topic: topic, start: start.wire, creditRecords: creditRecords, creditBytes: creditBytes), id: id,
            sink: SubscriptionSink(continuation: continuation))
        guard case .subscribed(let startOffset) = response else {
            throw ImmutaError(code: .malformedFrame, message: "unexpected response to SUBSCRIBE")
        }
        return (stream, startOffset)
    }

    /// Subscribes again from `offset` on `connection` and makes that the current leg; nil when
    /// the subscription was cancelled meanwhile (the new one is then ended at once).
    func resubscribe(on connection: ClientConnection, client: ImmutaClient, from offset: UInt64) async throws
        -> (Leg, AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>)?
    {
        let id = client.makeRequestID()
        let (stream, _) = try await Self.subscribe(
            on: connection, id: id, topic: topic, from: .offset(offset), creditRecords: creditRecords, creditBytes: creditBytes)
        let leg = Leg(connection: connection, id: id)
        let cancelled = state.withLock { state in
            if !state.cancelled { state.leg = leg }
            return state.cancelled
        }
        guard !cancelled else {
            await connection.removeSink(id)
            _ = try? await connection.send(.unsubscribe(subscription: id), id: client.makeRequestID())
            return nil
        }
        return (leg, stream)
    }
}
