import NIOCore

/// Where a consumer group's reset moves its committed offset.
public enum WireResetTarget: Sendable, Hashable {
    case earliest
    case latest
    case offset(UInt64)
    /// Nanoseconds since the Unix epoch.
    case timestamp(Int64)
    /// Relative to the current committed offset (clamped to the topic's bounds).
    case shift(Int64)

    func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .earliest: buffer.writeWire(UInt8(0)); buffer.writeWire(Int64(0))
        case .latest: buffer.writeWire(UInt8(1)); buffer.writeWire(Int64(0))
        case .offset(let offset): buffer.writeWire(UInt8(2)); buffer.writeWire(Int64(bitPattern: offset))
        case .timestamp(let time): buffer.writeWire(UInt8(3)); buffer.writeWire(time)
        case .shift(let by): buffer.writeWire(UInt8(4)); buffer.writeWire(by)
        }
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireResetTarget {
        let kind = try buffer.readWire(UInt8.self, "reset kind")
        let value = try buffer.readWire(Int64.self, "reset value")
        switch kind {
        case 0: return .earliest
        case 1: return .latest
        case 2: return .offset(UInt64(bitPattern: value))
        case 3: return .timestamp(value)
        case 4: return .shift(value)
        default:
            throw ProtocolError(
                .invalidRequest, "reset kind \(kind) is not 0 (earliest), 1 (latest), 2 (offset), 3 (timestamp) or 4 (shift)")
        }
    }
}

/// A consumer group's settings, fixed by the member that creates it (0 / empty: the default).
public struct WireGroupSettings: Sendable, Hashable {
    /// Records a member may hold unacknowledged.
    public var maxInFlight: UInt32
    /// After this long without an ack a record goes to another member.
    public var ackTimeoutMilliseconds: UInt32
    /// Deliveries before a record is dead-lettered.
    public var maxDeliveries: UInt16
    /// The dead-letter topic (default `<topic>.dlq`).
    public var deadLetterTopic: String

    public init(maxInFlight: UInt32 = 0, ackTimeoutMilliseconds: UInt32 = 0, maxDeliveries: UInt16 = 0, deadLetterTopic: String = "") {
        self.maxInFlight = maxInFlight
        self.ackTimeoutMilliseconds = ackTimeoutMilliseconds
        self.maxDeliveries = maxDeliveries
        self.deadLetterTopic = deadLetterTopic
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWire(maxInFlight)
        buffer.writeWire(ackTimeoutMilliseconds)
        buffer.writeWire(maxDeliveries)
        buffer.writeWireString(deadLetterTopic)
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireGroupSettings {
        WireGroupSettings(
            maxInFlight: try buffer.readWire(UInt32.self, "max_in_flight"),
            ackTimeoutMilliseconds: try buffer.readWire(UInt32.self, "ack_timeout_ms"),
            maxDeliveries: try buffer.readWire(UInt16.self, "max_deliveries"),
            deadLetterTopic: try buffer.readWireString("dead_letter_topic"))
    }
}

/// One member in a GROUP_INFO.
public struct WireGroupMember: Sendable, Hashable {
    public var clientName: String
    public var pid: Int32
    public var inFlight: UInt32
    /// Milliseconds since the Unix epoch.
    public var lastSeen: Int64

    public init(clientName: String, pid: Int32, inFlight: UInt32, lastSeen: Int64) {
        self.clientName = clientName
        self.pid = pid
        self.inFlight = inFlight
        self.lastSeen = lastSeen
    }
}

/// A consumer group's state, for GROUP_INFO and GROUP_LIST_RESULT.
public struct WireGroupInfo: Sendable, Hashable {
    public var topic: String
    public var group: String
    public var committedOffset: UInt64
    /// The topic's next offset.
    public var nextOffset: UInt64
    public var inFlight: UInt32
    /// Deliveries that were redeliveries, since the daemon started.
    public var redelivered: UInt64
    /// Records moved to the dead-letter topic, since the daemon started.
    public var deadLettered: UInt64
    public var settings: WireGroupSettings
    public var members: [WireGroupMember]

    /// Records not yet committed.
    public var lag: UInt64 { nextOffset > committedOffset ? nextOffset - committedOffset : 0 }

    public init(
        topic: String, group: String, committedOffset: UInt64, nextOffset: UInt64, inFlight: UInt32, redelivered: UInt64,
        deadLettered: UInt64, settings: WireGroupSettings, members: [WireGroupMember]
    ) {
        self.topic = topic
        self.group = group
        self.committedOffset = committedOffset
        self.nextOffset = nextOffset
        self.inFlight = inFlight
        self.redelivered = redelivered
        self.deadLettered = deadLettered
        self.settings = settings
        self.members = members
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(topic)
        buffer.writeWireString(group)
        buffer.writeWire(committedOffset)
        buffer.writeWire(nextOffset)
        buffer.writeWire(inFlight)
        buffer.writeWire(redelivered)
        buffer.writeWire(deadLettered)
        settings.encode(into: &buffer)
        buffer.writeWire(UInt32(members.count))
        for member in members {
            buffer.writeWireString(member.clientName)
            buffer.writeWire(member.pid)
            buffer.writeWire(member.inFlight)
            buffer.writeWire(member.lastSeen)
        }
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireGroupInfo {
        let topic = try buffer.readWireString("topic")
        let group = try buffer.readWireString("group")
        let committed = try buffer.readWire(UInt64.self, "committed_offset")
        let next = try buffer.readWire(UInt64.self, "next_offset")
        let inFlight = try buffer.readWire(UInt32.self, "in_flight")
        let redelivered = try buffer.readWire(UInt64.self, "redelivered")
        let deadLettered = try buffer.readWire(UInt64.self, "dead_lettered")
        let settings = try WireGroupSettings.decode(from: &buffer)
        let count = try buffer.readWire(UInt32.self, "member count")
        var members: [WireGroupMember] = []
        for _ in 0..<count {
            members.append(
                WireGroupMember(
                    clientName: try buffer.readWireString("client_name"), pid: try buffer.readWire(Int32.self, "pid"),
                    inFlight: try buffer.readWire(UInt32.self, "in_flight"),
                    lastSeen: try buffer.readWire(Int64.self, "last_seen_ms")))
        }
        return WireGroupInfo(
            topic: topic, group: group, committedOffset: committed, nextOffset: next, inFlight: inFlight,
            redelivered: redelivered, deadLettered: deadLettered, settings: settings, members: members)
    }
}

/// Consumer-group requests.
public enum GroupRequest: Sendable, Equatable {
    /// Join with managed delivery. Body: topic, group, start, settings, and optionally
    /// member_max_in_flight u32 (this member's own, lower limit; absent or 0: the group's).
    case join(topic: String, group: String, start: WireStart, settings: WireGroupSettings, memberMaxInFlight: UInt32 = 0)
    /// Body: member u32, count u32, offsets u64 × count.
    case ack(member: UInt32, offsets: [UInt64])
    /// Body: member u32, count u32, offsets u64 × count.
    case nack(member: UInt32, offsets: [UInt64])
    /// Body: member u32.
    case leave(member: UInt32)
    /// Manual commit. Body: topic, group, offset u64.
    case commit(topic: String, group: String, offset: UInt64)
    /// The committed offset, creating the group at `start` if new. Body: topic, group, start.
    case offset(topic: String, group: String, start: WireStart)
    /// Body: topic (empty: all topics).
    case list(topic: String)
    /// Body: topic, group.
    case describe(topic: String, group: String)
    /// Body: topic, group, target (kind u8, value i64), execute u8, force u8.
    case reset(topic: String, group: String, target: WireResetTarget, execute: Bool, force: Bool)
    /// Body: topic, group.
    case delete(topic: String, group: String)
    /// Body: topic string, group string.
    case recovery(topic: String, group: String)
    /// Changes a group's settings while it runs. Body: topic, group, settings (0 / empty: unchanged).
    case configure(topic: String, group: String, settings: WireGroupSettings)
    /// The group's pending records. Body: topic, group, from u64, max_count u32.
    case pending(topic: String, group: String, from: UInt64, maxCount: UInt32)
    /// Acks or returns pending records, whichever member holds them. Body: topic, group,
    /// action u8, count u32, offsets u64 × count.
    case settle(topic: String, group: String, action: WireSettleAction, offsets: [UInt64])

    var opcode: Opcode {
        switch self {
        case .join: .groupJoin
        case .ack: .groupAck
        case .nack: .groupNack
        case .leave: .groupLeave
        case .commit: .groupCommit
        case .offset: .groupOffset
        case .list: .groupList
        case .describe: .groupDescribe
        case .reset: .groupReset
        case .delete: .groupDelete
        case .recovery: .groupRecovery
        case .configure: .groupConfigure
        case .pending: .groupPending
        case .settle: .groupSettle
        }
    }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .join(let topic, let group, let start, let settings, let memberMaxInFlight):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            start.encode(into: &buffer)
            settings.encode(into: &buffer)
            // Written only when set, so a join without it has the layout it always had.
            if memberMaxInFlight != 0 { buffer.writeWire(memberMaxInFlight) }
        case .configure(let topic, let group, let settings):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            settings.encode(into: &buffer)
        case .pending(let topic, let group, let from, let maxCount):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            buffer.writeWire(from)
            buffer.writeWire(maxCount)
        case .settle(let topic, let group, let action, let offsets):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            buffer.writeWire(action.rawValue)
            buffer.writeWire(UInt32(offsets.count))
            for offset in offsets { buffer.writeWire(offset) }
        case .ack(let member, let offsets), .nack(let member, let offsets):
            buffer.writeWire(member)
            buffer.writeWire(UInt32(offsets.count))
            for offset in offsets { buffer.writeWire(offset) }
        case .leave(let member):
            buffer.writeWire(member)
        case .commit(let topic, let group, let offset):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            buffer.writeWire(offset)
        case .offset(let topic, let group, let start):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            start.encode(into: &buffer)
        case .list(let topic):
            buffer.writeWireString(topic)
        case .describe(let topic, let group), .delete(let topic, let group), .recovery(let topic, let group):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
        case .reset(let topic, let group, let target, let execute, let force):
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
            target.encode(into: &buffer)
            buffer.writeWire(UInt8(execute ? 1 : 0))
            buffer.writeWire(UInt8(force ? 1 : 0))
        }
    }

    static func decode(_ opcode: Opcode, body: inout ByteBuffer) throws -> GroupRequest {
        switch opcode {
        case .groupJoin:
            let topic = try body.readWireString("topic")
            let group = try body.readWireString("group")
            let start = try WireStart.decode(from: &body)
            let settings = try WireGroupSettings.decode(from: &body)
            let memberMaxInFlight = body.readableBytes == 0 ? 0 : try body.readWire(UInt32.self, "member_max_in_flight")
            return .join(topic: topic, group: group, start: start, settings: settings, memberMaxInFlight: memberMaxInFlight)
        case .groupAck, .groupNack:
            let member = try body.readWire(UInt32.self, "member")
            let offsets = try readOffsets(opcode, &body)
            return opcode == .groupAck ? .ack(member: member, offsets: offsets) : .nack(member: member, offsets: offsets)
        case .groupConfigure:
            return .configure(
                topic: try body.readWireString("topic"), group: try body.readWireString("group"),
                settings: try WireGroupSettings.decode(from: &body))
        case .groupPending:
            return .pending(
                topic: try body.readWireString("topic"), group: try body.readWireString("group"),
                from: try body.readWire(UInt64.self, "from"), maxCount: try body.readWire(UInt32.self, "max_count"))
        case .groupSettle:
            let topic = try body.readWireString("topic")
            let group = try body.readWireString("group")
            let raw = try body.readWire(UInt8.self, "action")
            guard let action = WireSettleAction(rawValue: raw) else {
                throw ProtocolError(.invalidRequest, "action \(raw) is not 0 (ack) or 1 (nack)")
            }
            return .settle(topic: topic, group: group, action: action, offsets: try readOffsets(opcode, &body))
        case .groupLeave:
            return .leave(member: try body.readWire(UInt32.self, "member"))
        case .groupCommit:
            return .commit(
                topic: try body.readWireString("topic"), group: try body.readWireString("group"),
                offset: try body.readWire(UInt64.self, "offset"))
        case .groupOffset:
            return .offset(
                topic: try body.readWireString("topic"), group: try body.readWireString("group"),
                start: try WireStart.decode(from: &body))
        case .groupList:
            return .list(topic: try body.readWireString("topic"))
        case .groupDescribe:
            return .describe(topic: try body.readWireString("topic"), group: try body.readWireString("group"))
        case .groupReset:
            let topic = try body.readWireString("topic")
            let group = try body.readWireString("group")
            let target = try WireResetTarget.decode(from: &body)
            let execute = try body.readWire(UInt8.self, "execute") != 0
            let force = try body.readWire(UInt8.self, "force") != 0
            return .reset(topic: topic, group: group, target: target, execute: execute, force: force)
        case .groupDelete:
            return .delete(topic: try body.readWireString("topic"), group: try body.readWireString("group"))
        case .groupRecovery:
            return .recovery(topic: try body.readWireString("topic"), group: try body.readWireString("group"))
        default:
            throw ProtocolError(.unknownOpcode, "opcode \(opcode) is not a group request")
        }
    }

    /// A count u32 and exactly that many u64 offsets, filling the rest of the body.
    private static func readOffsets(_ opcode: Opcode, _ body: inout ByteBuffer) throws -> [UInt64] {
        let count = try body.readWire(UInt32.self, "count")
        guard Int(count) * 8 == body.readableBytes else {
            throw ProtocolError(.invalidRequest, "\(opcode) declares \(count) offsets but carries \(body.readableBytes) bytes")
        }
        var offsets: [UInt64] = []
        offsets.reserveCapacity(Int(count))
        for _ in 0..<count { offsets.append(try body.readWire(UInt64.self, "offset")) }
        return offsets
    }
}

/// Consumer-group responses.
public enum GroupResponse: Sendable, Equatable {
    /// Body: committed_offset u64.
    case joined(committedOffset: UInt64)
    /// Body: committed_offset u64.
    case committed(UInt64)
    /// Body: count u32, then group infos.
    case list([WireGroupInfo])
    /// Body: a group info.
    case info(WireGroupInfo)
    /// Body: current u64, target u64, executed u8.
    case resetPlan(current: UInt64, target: UInt64, executed: Bool)
    /// Body: count u32, then `count` strings: what recovery did to the group at the daemon's start.
    case recoveryNotes([String])
    /// Body: held u32, waiting u32, count u32, then `count` pending records.
    case pending(WirePendingList)

    var opcode: Opcode {
        switch self {
        case .recoveryNotes: .groupRecoveryNotes
        case .pending: .groupPendingList
        case .joined: .groupJoined
        case .committed: .groupCommitted
        case .list: .groupListResult
        case .info: .groupInfo
        case .resetPlan: .groupResetPlan
        }
    }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .joined(let offset), .committed(let offset):
            buffer.writeWire(offset)
        case .list(let infos):
            buffer.writeWire(UInt32(infos.count))
            for info in infos { info.encode(into: &buffer) }
        case .info(let info):
            info.encode(into: &buffer)
        case .resetPlan(let current, let target, let executed):
            buffer.writeWire(current)
            buffer.writeWire(target)
            buffer.writeWire(UInt8(executed ? 1 : 0))
        case .recoveryNotes(let notes):
            buffer.writeWire(UInt32(notes.count))
            for note in notes { buffer.writeWireString(note) }
        case .pending(let list):
            list.encode(into: &buffer)
        }
    }

    static func decode(_ opcode: Opcode, body: inout ByteBuffer) throws -> GroupResponse {
        switch opcode {
        case .groupJoined: return .joined(committedOffset: try body.readWire(UInt64.self, "committed_offset"))
        case .groupCommitted: return .committed(try body.readWire(UInt64.self, "committed_offset"))
        case .groupListResult:
            let count = try body.readWire(UInt32.self, "count")
            var infos: [WireGroupInfo] = []
            for _ in 0..<count { infos.append(try WireGroupInfo.decode(from: &body)) }
            return .list(infos)
        case .groupInfo: return .info(try WireGroupInfo.decode(from: &body))
        case .groupRecoveryNotes:
            let count = try body.readWire(UInt32.self, "count")
            var notes: [String] = []
            for _ in 0..<count { notes.append(try body.readWireString("note")) }
            return .recoveryNotes(notes)
        case .groupPendingList:
            return .pending(try WirePendingList.decode(from: &body))
        case .groupResetPlan:
            return .resetPlan(
                current: try body.readWire(UInt64.self, "current"), target: try body.readWire(UInt64.self, "target"),
                executed: try body.readWire(UInt8.self, "executed") != 0)
        default:
            throw ProtocolError(.unknownOpcode, "opcode \(opcode) is not a group response")
        }
    }
}
