import NIOCore

/// What GROUP_SETTLE does with the records it names.
public enum WireSettleAction: UInt8, Sendable, Hashable {
    /// Count them as processed, as their holder's GROUP_ACK would.
    case ack = 0
    /// Take them back for immediate redelivery to any member, as their holder's GROUP_NACK would.
    case nack = 1
}

/// One record a consumer group has handed out and not yet seen acknowledged.
public struct WirePendingRecord: Sendable, Hashable {
    public enum State: UInt8, Sendable, Hashable {
        /// A member holds it.
        case held = 0
        /// Given back (nack, ack timeout, a member that left) and waiting for redelivery.
        case waiting = 1
    }

    public var offset: UInt64
    public var state: State
    /// Deliveries so far.
    public var deliveryCount: UInt16
    /// The holder's HELLO client name and pid (empty and 0 while waiting).
    public var clientName: String
    public var pid: Int32
    /// Milliseconds since it was delivered to its holder (0 while waiting).
    public var heldMilliseconds: UInt32
    /// Milliseconds until its ack timeout passes (0 while waiting, or when it has passed).
    public var ackDueMilliseconds: UInt32

    public init(
        offset: UInt64, state: State, deliveryCount: UInt16, clientName: String, pid: Int32, heldMilliseconds: UInt32,
        ackDueMilliseconds: UInt32
    ) {
        self.offset = offset
        self.state = state
        self.deliveryCount = deliveryCount
        self.clientName = clientName
        self.pid = pid
        self.heldMilliseconds = heldMilliseconds
        self.ackDueMilliseconds = ackDueMilliseconds
    }
}

/// A page of a group's pending records, in offset order, with the totals.
public struct WirePendingList: Sendable, Hashable {
    /// Records members hold now, and records waiting for redelivery, in the whole group.
    public var held: UInt32
    public var waiting: UInt32
    public var records: [WirePendingRecord]

    public init(held: UInt32, waiting: UInt32, records: [WirePendingRecord]) {
        self.held = held
        self.waiting = waiting
        self.records = records
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWire(held)
        buffer.writeWire(waiting)
        buffer.writeWire(UInt32(records.count))
        for record in records {
            buffer.writeWire(record.offset)
            buffer.writeWire(record.state.rawValue)
            buffer.writeWire(record.deliveryCount)
            buffer.writeWireString(record.clientName)
            buffer.writeWire(record.pid)
            buffer.writeWire(record.heldMilliseconds)
            buffer.writeWire(record.ackDueMilliseconds)
        }
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WirePendingList {
        let held = try buffer.readWire(UInt32.self, "held")
        let waiting = try buffer.readWire(UInt32.self, "waiting")
        let count = try buffer.readWire(UInt32.self, "count")
        var records: [WirePendingRecord] = []
        for _ in 0..<count {
            let offset = try buffer.readWire(UInt64.self, "offset")
            let raw = try buffer.readWire(UInt8.self, "state")
            guard let state = WirePendingRecord.State(rawValue: raw) else {
                throw ProtocolError(.malformedFrame, "pending state \(raw) is not 0 (held) or 1 (waiting)")
            }
            records.append(
                WirePendingRecord(
                    offset: offset, state: state, deliveryCount: try buffer.readWire(UInt16.self, "delivery_count"),
                    clientName: try buffer.readWireString("client_name"), pid: try buffer.readWire(Int32.self, "pid"),
                    heldMilliseconds: try buffer.readWire(UInt32.self, "held_ms"),
                    ackDueMilliseconds: try buffer.readWire(UInt32.self, "ack_due_ms")))
        }
        return WirePendingList(held: held, waiting: waiting, records: records)
    }
}
