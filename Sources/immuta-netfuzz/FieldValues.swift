import ImmutaTestSupport
/// Field values for fuzzed requests: usually a sensible value, sometimes one chosen to hit an edge
/// (zero, maximum, sign bit, off by one, invalid text), so requests get past parsing and into the
/// daemon's handlers, where the interesting bugs are.
struct FieldValues {
    /// Topics the fuzzer works on. A fixed, small set, so that fuzzing cannot fill the disk or the
    /// topic table; the well-behaved client's topic is never among them.
    static let topics: [[UInt8]] = ["fz0", "fz1", "fz2", "fz3", "fz4", "fz5", "fz0.dlq", "fz1.dlq"].map { Array($0.utf8) }
    /// Valid names at the edges of the naming rules (also a fixed set).
    static let edgeNames: [[UInt8]] = ["-", "_", "a.b", String(repeating: "z", count: 255)].map { Array($0.utf8) }
    static let groups: [[UInt8]] = ["g0", "g1", "g2", "g3"].map { Array($0.utf8) }
    /// Mirror names: valid, but none is configured in the fuzz daemon.
    static let mirrors: [[UInt8]] = ["m0", "central", "backup"].map { Array($0.utf8) }
    /// Names the daemon must refuse: path tricks, bad characters, bad lengths, bad UTF-8.
    static let invalidNames: [[UInt8]] =
        [
            "", ".", "..", "../fz0", "fz0/..", "/etc", ".hidden", "a b", "fz0\n", "fz0\0x", "ü",
            String(repeating: "y", count: 256),
        ].map { Array($0.utf8) } + [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xF4, 0x90, 0x80, 0x80], [0x66, 0x7A, 0x80]]

    var random: SeededGenerator

    /// An integer field: `normal` most of the time, otherwise an edge value.
    mutating func integer<T: FixedWidthInteger>(_ normal: T, edgePercent: Int = 4) -> T {
        guard random.chance(edgePercent) else { return normal }
        switch Int.random(in: 0..<8, using: &random) {
        case 0: return 0
        case 1: return T.max
        case 2: return T.min
        case 3: return T.max &- 1
        case 4: return normal &+ 1
        case 5: return normal &- 1
        case 6: return T(truncatingIfNeeded: 1 &<< Int.random(in: 0..<T.bitWidth, using: &random))
        default: return T(truncatingIfNeeded: random.next())
        }
    }

    /// A topic name: a fuzz topic, an edge-valid name, or an invalid one.
    mutating func topic() -> [UInt8] {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 80 { return Self.topics.randomElement(using: &random)! }
        if roll < 85 { return Self.edgeNames.randomElement(using: &random)! }
        if roll < 95 { return Self.invalidNames.randomElement(using: &random)! }
        return invalidRandomText()
    }

    mutating func group() -> [UInt8] {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 85 { return Self.groups.randomElement(using: &random)! }
        if roll < 95 { return Self.invalidNames.randomElement(using: &random)! }
        return invalidRandomText()
    }

    /// A mirror or source name (MIRROR_CONTROL): one the daemon does not have, an edge-valid or
    /// an invalid one.
    mutating func mirror() -> [UInt8] {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 75 { return Self.mirrors.randomElement(using: &random)! }
        if roll < 80 { return Self.edgeNames.randomElement(using: &random)! }
        if roll < 95 { return Self.invalidNames.randomElement(using: &random)! }
        return invalidRandomText()
    }

    /// Free text (client names, durability): usually short ASCII, sometimes long or invalid.
    mutating func text(_ normal: String) -> [UInt8] {
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<85: return Array(normal.utf8)
        case 85..<90: return []
        case 90..<95: return random.bytes(Int.random(in: 1...64, using: &random))
        case 95..<99: return Self.invalidNames.randomElement(using: &random)!
        default: return [UInt8](repeating: 0x61, count: Int.random(in: 1_000...65_535, using: &random))
        }
    }

    /// Random bytes that can never form a valid name (one byte is forced outside the name
    /// alphabet), so that fuzzing never creates topics or groups beyond the fixed sets.
    mutating func invalidRandomText() -> [UInt8] {
        var text = random.bytes(Int.random(in: 1...40, using: &random))
        text[Int.random(in: 0..<text.count, using: &random)] = [0x2F, 0x20, 0x00, 0xFF, 0x80].randomElement(using: &random)!
        return text
    }

    /// A start position (section 7.2): kind and value, both possibly out of range.
    mutating func start(into frame: inout FrameBytes) {
        let kind = random.chance(90) ? UInt8.random(in: 0...3, using: &random) : integer(UInt8(4), edgePercent: 100)
        frame.u8(kind)
        let value: UInt64 =
            switch kind {
            case 2: integer(UInt64.random(in: 0...200, using: &random), edgePercent: 30)
            case 3: integer(UInt64(bitPattern: Int64.random(in: 0...2_000_000_000_000_000_000, using: &random)), edgePercent: 30)
            default: integer(UInt64(0), edgePercent: 10)
            }
        frame.u64(value)
    }

    /// A topic config (section 7.3): mostly the defaults or sensible values, so that CREATE_TOPIC
    /// usually succeeds and later requests find topics; sometimes values at or past the limits.
    mutating func topicConfig(into frame: inout FrameBytes) {
        let sensible = random.chance(70)
        let segments: [UInt64] = sensible ? [0, 1 << 20, 4 << 20] : [1, 4_096, 65_535, 1 << 30, (1 << 30) + 1, UInt64.max]
        frame.u64(integer(segments.randomElement(using: &random)!))
        frame.u64(integer(UInt64((sensible ? [0, 1_024, 1 << 20] : [1, 16, 1 << 30, 1 << 40]).randomElement(using: &random)!)))
        frame.u64(integer(UInt64((sensible ? [0, 1 << 20] : [1, 4_096]).randomElement(using: &random)!)))
        frame.u64(UInt64(bitPattern: integer(Int64((sensible ? [0, 60_000] : [1, -1, Int64.min]).randomElement(using: &random)!))))
        let durability =
            sensible
            ? ["", "none", "interval:100"]
            : ["fsync", "interval:0", "interval:3600001", "interval:-5", "interval:", "interval:99999999999999999999", "sometimes"]
        frame.string(text(durability.randomElement(using: &random)!))
    }

    /// Group settings (section 14.1).
    mutating func groupSettings(into frame: inout FrameBytes) {
        frame.u32(integer(UInt32([0, 1, 10, 1_000_000, 1_000_001].randomElement(using: &random)!)))
        frame.u32(integer(UInt32([0, 1, 100, 30_000].randomElement(using: &random)!)))
        frame.u16(integer(UInt16([0, 1, 5].randomElement(using: &random)!)))
        frame.string(random.chance(70) ? [] : topic())
    }

    /// Seed-format records (section 10.2) and the count to announce for them, sometimes wrong.
    mutating func records() -> (count: UInt32, bytes: [UInt8]) {
        let count = Int.random(in: 1...8, using: &random)
        var frame = FrameBytes()
        for _ in 0..<count {
            let size = random.chance(98) ? Int.random(in: 0...64, using: &random) : Int.random(in: 65...(64 << 10), using: &random)
            let payload = random.bytes(size)
            // A lying size prefix: larger than what follows, or huge.
            frame.u64(random.chance(3) ? integer(UInt64(size), edgePercent: 100) : UInt64(size))
            frame.bytes(payload)
        }
        return (integer(UInt32(count)), frame.body)
    }
}
