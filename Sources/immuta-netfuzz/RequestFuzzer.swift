import ImmutaTestSupport
/// Builds one request frame of each opcode with fuzzed fields (see ``FieldValues``).
///
/// The request ids it uses follow the connection's own history, so that CREDIT, UNSUBSCRIBE and
/// the group requests often name a subscription or membership that really exists.
struct RequestFuzzer {
    /// Every request opcode of docs/PROTOCOL.md section 4 but HELLO, weighted towards the requests
    /// with the most behind them (records, subscriptions, groups) and away from DELETE_TOPIC, which
    /// would keep the fuzz topics empty.
    static let weightedOpcodes: [UInt8] = [
        (0x02, 2), (0x03, 1), (0x10, 6), (0x11, 1), (0x12, 1), (0x13, 2), (0x20, 14), (0x21, 8), (0x22, 6), (0x23, 6),
        (0x24, 3), (0x40, 6), (0x41, 5), (0x42, 3), (0x43, 2), (0x44, 3), (0x45, 3), (0x46, 1), (0x47, 2), (0x48, 3),
        (0x49, 1), (0x25, 8), (0x4A, 1), (0x04, 1), (0x05, 1), (0x14, 1), (0x4B, 2), (0x4C, 2), (0x4D, 3), (0x06, 1), (0x07, 2),
    ].flatMap { opcode, weight in [UInt8](repeating: opcode, count: weight) }

    /// Opcodes that are not requests: a connection-level error (unknown_opcode) wherever they come.
    static func isRequest(_ opcode: UInt8) -> Bool { opcode == 0x01 || weightedOpcodes.contains(opcode) }

    var fields: FieldValues
    private var nextID: UInt32 = 1
    /// Ids of SUBSCRIBE and of GROUP_JOIN requests sent on this connection.
    private var subscriptionIDs: [UInt32] = []
    private var memberIDs: [UInt32] = []

    init(random: SeededGenerator) { fields = FieldValues(random: random) }

    /// Forgets the connection's history (a new connection starts).
    mutating func reset() {
        nextID = 1
        subscriptionIDs.removeAll()
        memberIDs.removeAll()
    }

    /// A HELLO whose version range holds 1 (rarely a wider one), with a fuzzed client name
    /// (which may not be valid UTF-8) or, with `plain`, a well-formed one.
    mutating func hello(plain: Bool = false) -> [UInt8] {
        var frame = FrameBytes()
        frame.u16(fields.random.chance(95) ? 1 : 0)
        frame.u16(fields.random.chance(95) ? 1 : UInt16.max)
        frame.string(plain ? Array("immuta-netfuzz".utf8) : fields.text("immuta-netfuzz"))
        return frame.frame(opcode: 0x01, requestID: takeID())
    }

    /// A request with the given opcode.
    mutating func request(_ opcode: UInt8) -> [UInt8] {
        var frame = FrameBytes()
        let id = takeID()
        switch opcode {
        case 0x01:
            return hello()
        case 0x10, 0x14:
            frame.string(fields.topic())
            fields.topicConfig(into: &frame)
        case 0x11, 0x13:
            frame.string(fields.topic())
        case 0x20:
            frame.string(fields.topic())
            frame.u8(enumeration(valid: 0...1))
            let (count, records) = fields.records()
            frame.u32(count)
            frame.bytes(records)
        case 0x25:
            frame.string(fields.topic())
            frame.u8(enumeration(valid: 0...1))
            frame.u64(fields.integer(UInt64.random(in: 1...4, using: &fields.random)))
            frame.u64(fields.integer(UInt64.random(in: 0...6, using: &fields.random)))
            let (count, records) = fields.records()
            frame.u32(count)
            frame.bytes(records)
        case 0x21:
            frame.string(fields.topic())
            fields.start(into: &frame)
            frame.u32(fields.integer(UInt32.random(in: 1...1_000, using: &fields.random)))
            frame.u32(fields.integer(UInt32.random(in: 1...(1 << 20), using: &fields.random)))
            frame.u32(fields.random.chance(80) ? 0 : fields.integer(UInt32.random(in: 1...2_000, using: &fields.random)))
        case 0x22:
            frame.string(fields.topic())
            fields.start(into: &frame)
            frame.u32(fields.integer(UInt32.random(in: 0...1_000, using: &fields.random)))
            frame.u64(fields.integer(UInt64.random(in: 0...(1 << 20), using: &fields.random)))
            subscriptionIDs.append(id)
        case 0x23:
            frame.u32(knownID(subscriptionIDs))
            frame.u32(fields.integer(UInt32.random(in: 0...1_000, using: &fields.random)))
            frame.u64(fields.integer(UInt64.random(in: 0...(1 << 20), using: &fields.random)))
        case 0x24:
            frame.u32(knownID(subscriptionIDs))
        case 0x43:
            frame.u32(knownID(memberIDs))
        case 0x40:
            frame.string(fields.topic())
            frame.string(fields.group())
            fields.start(into: &frame)
            fields.groupSettings(into: &frame)
            // The optional member_max_in_flight, sometimes.
            if fields.random.chance(30) { frame.u32(fields.integer(UInt32.random(in: 0...64, using: &fields.random))) }
            memberIDs.append(id)
        case 0x4B:
            frame.string(fields.topic())
            frame.string(fields.group())
            fields.groupSettings(into: &frame)
        case 0x4C:
            frame.string(fields.topic())
            frame.string(fields.group())
            frame.u64(fields.integer(UInt64.random(in: 0...100, using: &fields.random)))
            frame.u32(fields.integer(UInt32.random(in: 0...1000, using: &fields.random)))
        case 0x4D:
            frame.string(fields.topic())
            frame.string(fields.group())
            frame.u8(enumeration(valid: 0...1))
            let count = Int.random(in: 1...8, using: &fields.random)
            frame.u32(fields.integer(UInt32(count)))
            for _ in 0..<count { frame.u64(fields.integer(UInt64.random(in: 0...100, using: &fields.random))) }
        case 0x41, 0x42:
            frame.u32(knownID(memberIDs))
            let count = Int.random(in: 1...8, using: &fields.random)
            frame.u32(fields.integer(UInt32(count)))
            for _ in 0..<count { frame.u64(fields.integer(UInt64.random(in: 0...100, using: &fields.random))) }
        case 0x44:
            frame.string(fields.topic())
            frame.string(fields.group())
            frame.u64(fields.integer(UInt64.random(in: 0...100, using: &fields.random)))
        case 0x45:
            frame.string(fields.topic())
            frame.string(fields.group())
            fields.start(into: &frame)
        case 0x46:
            frame.string(fields.random.chance(50) ? [] : fields.topic())
        case 0x04:
            frame.string(fields.random.chance(50) ? [] : fields.text("root"))
            frame.string(fields.random.chance(80) ? Array(["produce", "consume", "admin"].randomElement(using: &fields.random)!.utf8) : fields.text("read"))
            frame.string(fields.topic())
            frame.string(fields.random.chance(50) ? [] : fields.group())
        case 0x07:
            // The fuzz daemon has no mirrors, so each is answered with an error (mirror_not_found,
            // invalid_name or invalid_request; `--show-responses` counts them) and pauses nothing.
            frame.string(fields.mirror())
            frame.u8(enumeration(valid: 0...1))
        case 0x47, 0x49, 0x4A:
            frame.string(fields.topic())
            frame.string(fields.group())
        case 0x48:
            frame.string(fields.topic())
            frame.string(fields.group())
            frame.u8(enumeration(valid: 0...4))
            frame.u64(UInt64(bitPattern: fields.integer(Int64.random(in: -100...100, using: &fields.random), edgePercent: 30)))
            frame.u8(fields.integer(UInt8.random(in: 0...1, using: &fields.random)))
            frame.u8(fields.integer(UInt8.random(in: 0...1, using: &fields.random)))
        default:
            break  // PING, STATS, LIST_TOPICS, LIST_CONNECTIONS, MIRROR_LIST: empty bodies.
        }
        return frame.frame(opcode: opcode, requestID: id)
    }

    /// An enumeration byte (ack, reset kind, mirror action): usually one of `valid`, sometimes just
    /// past it or an edge.
    private mutating func enumeration(valid: ClosedRange<UInt8>) -> UInt8 {
        guard fields.random.chance(90) else { return fields.integer(valid.upperBound + 1, edgePercent: 100) }
        return UInt8.random(in: valid, using: &fields.random)
    }

    /// Usually the next id; sometimes a reused, zero or maximal one.
    private mutating func takeID() -> UInt32 {
        if fields.random.chance(3) {
            return [0, UInt32.max, subscriptionIDs.last ?? 1, memberIDs.last ?? 1].randomElement(using: &fields.random)!
        }
        defer { nextID &+= 1 }
        return nextID
    }

    /// One of `ids` (subscriptions or memberships of this connection), or a stray id.
    private mutating func knownID(_ ids: [UInt32]) -> UInt32 {
        if let id = ids.randomElement(using: &fields.random), fields.random.chance(85) { return id }
        return fields.integer(UInt32.random(in: 0...nextID, using: &fields.random), edgePercent: 30)
    }
}
