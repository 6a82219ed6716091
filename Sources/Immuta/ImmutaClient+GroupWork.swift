import ImmutaProtocol
import NIOCore

/// A record a consumer group has handed out and not yet seen acknowledged.
public struct PendingRecord: Sendable, Hashable {
    public var offset: UInt64
    /// True while a member holds it; false while it waits for redelivery.
    public var isHeld: Bool
    /// Deliveries so far.
    public var deliveryCount: Int
    /// The holder's client name and pid (empty and 0 while waiting).
    public var clientName: String
    public var pid: Int32
    /// How long its holder has had it, and how long until its ack timeout passes (0 while waiting).
    public var heldMilliseconds: Int
    public var ackDueMilliseconds: Int
}

/// A page of a group's pending records, with the group's totals.
public struct PendingRecords: Sendable, Hashable {
    /// Records members hold, and records waiting for redelivery, in the whole group.
    public var held: Int
    public var waiting: Int
    /// In offset order.
    public var records: [PendingRecord]
}

extension ImmutaClient {
    /// Changes a running group's settings; nil fields stay as they are. Applied to what comes
    /// next, and kept across restarts (needs `admin` on the topic).
    public func configureGroup(_ topic: String, group: String, _ changes: GroupOptions) async throws -> GroupDescription {
        guard case .group(.info(let info)) = try await send(.group(.configure(topic: topic, group: group, settings: changes.wire)))
        else { throw unexpected("GROUP_CONFIGURE") }
        return GroupDescription(info)
    }

    /// The group's pending records from `offset` on, at most `limit` (1 to 1000), like Redis's
    /// XPENDING.
    public func pendingRecords(_ topic: String, group: String, from offset: UInt64 = 0, limit: Int = 100) async throws
        -> PendingRecords
    {
        let request = GroupRequest.pending(topic: topic, group: group, from: offset, maxCount: UInt32(clamping: max(limit, 1)))
        guard case .group(.pending(let list)) = try await send(.group(request)) else { throw unexpected("GROUP_PENDING") }
        return PendingRecords(
            held: Int(list.held), waiting: Int(list.waiting),
            records: list.records.map {
                PendingRecord(
                    offset: $0.offset, isHeld: $0.state == .held, deliveryCount: Int($0.deliveryCount), clientName: $0.clientName,
                    pid: $0.pid, heldMilliseconds: Int($0.heldMilliseconds), ackDueMilliseconds: Int($0.ackDueMilliseconds))
            })
    }

    /// Acknowledges (`ack: true`, skipping them) or gives back (`ack: false`, for immediate
    /// redelivery) pending records, whichever member holds them. All or nothing; an offset that is
    /// not pending fails it with `not_held`.
    public func settle(_ topic: String, group: String, offsets: [UInt64], ack: Bool) async throws {
        _ = try await send(.group(.settle(topic: topic, group: group, action: ack ? .ack : .nack, offsets: offsets)))
    }
}

extension GroupMessage {
    /// Acknowledges the record now and waits for the daemon's answer, unlike the batched
    /// ``ack()``. A record whose ack timeout passed (it went to another member) throws `not_held`,
    /// which a caller doing slow work per record can report and go on from.
    ///
    /// Sent on the connection the record came on: after a reconnection the member has a new id
    /// there, and the record is delivered again anyway, so this fails with a lost connection.
    public func acknowledge() async throws {
        _ = try await acks.connection.send(
            .group(.ack(member: acks.memberID, offsets: [record.offset])), id: acks.client.makeRequestID())
    }

    /// Gives the record back now, for immediate redelivery, and waits for the daemon's answer.
    public func reject() async throws {
        _ = try await acks.connection.send(
            .group(.nack(member: acks.memberID, offsets: [record.offset])), id: acks.client.makeRequestID())
    }
}
