import ImmutaLocks
import Synchronization
import ImmutaProtocol

/// What a group member needs to join again on a new connection, and which connection, member
/// id and ack buffer it has now (shared by the ``GroupConsumer`` and its iterator).
final class GroupMembership: Sendable {
    /// The membership on one connection.
    struct Leg: Sendable {
        var connection: ClientConnection
        var memberID: UInt32
        var acks: AckBuffer
    }

    let topic: String
    let group: String
    let start: StartPosition
    let options: GroupOptions
    /// The member's own in-flight limit (GROUP_JOIN's member_max_in_flight; 0: the group's).
    let maxInFlight: UInt32
    private let state: Locked<(leg: Leg, left: Bool)>

    init(topic: String, group: String, start: StartPosition, options: GroupOptions, maxInFlight: UInt32, leg: Leg) {
        self.topic = topic
        self.group = group
        self.start = start
        self.options = options
        self.maxInFlight = maxInFlight
        state = Locked((leg, false))
    }

    var leg: Leg { state.withLock { $0.leg } }
    var hasLeft: Bool { state.withLock { $0.left } }

    /// Marks the member gone (it does not join again) and returns its leg.
    func leave() -> Leg {
        state.withLock { state in
            state.left = true
            return state.leg
        }
    }

    /// GROUP_JOIN on `connection`: the stream of its deliveries and the group's committed offset.
    static func join(
        on connection: ClientConnection, id: UInt32, topic: String, group: String, start: StartPosition, options: GroupOptions,
        maxInFlight: UInt32
    ) async throws -> (AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>, committed: UInt64) {
        let (stream, continuation) = AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.makeStream()
        let join = GroupRequest.join(
            topic: topic, group: group, start: start.wire, settings: options.wire, memberMaxInFlight: maxInFlight)
        let response = try await connection.send(
            .group(join), id: id,
            sink: SubscriptionSink(continuation: continuation))
        guard case .group(.joined(let committed)) = response else {
            throw ImmutaError(code: .malformedFrame, message: "unexpected response to GROUP_JOIN")
        }
        return (stream, committed)
    }

    /// Joins again on `connection` and makes that the current leg; nil when the member left
    /// meanwhile (the new membership is then left at once).
    func rejoin(on connection: ClientConnection, client: ImmutaClient) async throws
        -> (Leg, AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>, committed: UInt64)?
    {
        let id = client.makeRequestID()
        let (stream, committed) = try await Self.join(
            on: connection, id: id, topic: topic, group: group, start: start, options: options, maxInFlight: maxInFlight)
        let leg = Leg(connection: connection, memberID: id, acks: AckBuffer(client: client, connection: connection, memberID: id))
        let left = state.withLock { state in
            if !state.left { state.leg = leg }
            return state.left
        }
        guard !left else {
            await connection.removeSink(id)
            _ = try? await connection.send(.group(.leave(member: id)), id: client.makeRequestID())
            return nil
        }
        return (leg, stream, committed)
    }
}
