import NIOCore

/// One protocol frame: a 12-byte header and a body.
///
/// ```
///  0          4        5       6          8            12
///  +----------+--------+-------+----------+------------+----------------+
///  | length   | opcode | flags | reserved | request id | body ...       |
///  | u32 LE   | u8     | u8    | u16 = 0  | u32 LE     | length-8 bytes |
///  +----------+--------+-------+----------+------------+----------------+
/// ```
///
/// `length` counts every byte after itself (8 header bytes plus the body). All integers are
/// little-endian, like the record format on disk.
public struct Frame: Sendable, Equatable {
    /// Bytes in the header, including the length field.
    public static let headerSize = 12
    /// Header bytes counted by the length field.
    public static let lengthCountedHeader = 8

    /// What the frame is.
    public var opcode: Opcode
    /// Reserved for future use; zero.
    public var flags: UInt8
    /// The request this frame belongs to; for pushed deliveries, the id of the SUBSCRIBE request.
    public var requestID: UInt32
    /// The body, laid out as the opcode defines.
    public var body: ByteBuffer

    /// Creates a frame.
    public init(opcode: Opcode, flags: UInt8 = 0, requestID: UInt32, body: ByteBuffer) {
        self.opcode = opcode
        self.flags = flags
        self.requestID = requestID
        self.body = body
    }

    /// Writes the header for a frame whose body is `bodyLength` bytes.
    public static func writeHeader(
        into buffer: inout ByteBuffer, opcode: Opcode, requestID: UInt32, bodyLength: Int, flags: UInt8 = 0
    ) {
        buffer.writeInteger(UInt32(lengthCountedHeader + bodyLength), endianness: .little)
        buffer.writeInteger(opcode.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt16(0), endianness: .little)
        buffer.writeInteger(requestID, endianness: .little)
    }

    /// Encodes the whole frame.
    public func encode(into buffer: inout ByteBuffer) {
        Self.writeHeader(into: &buffer, opcode: opcode, requestID: requestID, bodyLength: body.readableBytes, flags: flags)
        var body = body
        buffer.writeBuffer(&body)
    }
}

/// Frame opcodes. Requests go from client to server; responses (high bit set) from server to
/// client, carrying the request's id.
public struct Opcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    // Requests.
    public static let hello = Opcode(rawValue: 0x01)
    public static let ping = Opcode(rawValue: 0x02)
    public static let stats = Opcode(rawValue: 0x03)
    public static let accessCheck = Opcode(rawValue: 0x04)
    public static let listConnections = Opcode(rawValue: 0x05)
    public static let mirrorList = Opcode(rawValue: 0x06)
    public static let mirrorControl = Opcode(rawValue: 0x07)
    public static let createTopic = Opcode(rawValue: 0x10)
    public static let deleteTopic = Opcode(rawValue: 0x11)
    public static let listTopics = Opcode(rawValue: 0x12)
    public static let describeTopic = Opcode(rawValue: 0x13)
    public static let configureTopic = Opcode(rawValue: 0x14)
    public static let produce = Opcode(rawValue: 0x20)
    public static let fetch = Opcode(rawValue: 0x21)
    public static let subscribe = Opcode(rawValue: 0x22)
    public static let credit = Opcode(rawValue: 0x23)
    public static let unsubscribe = Opcode(rawValue: 0x24)
    public static let produceIdempotent = Opcode(rawValue: 0x25)
    public static let groupJoin = Opcode(rawValue: 0x40)
    public static let groupAck = Opcode(rawValue: 0x41)
    public static let groupNack = Opcode(rawValue: 0x42)
    public static let groupLeave = Opcode(rawValue: 0x43)
    public static let groupCommit = Opcode(rawValue: 0x44)
    public static let groupOffset = Opcode(rawValue: 0x45)
    public static let groupList = Opcode(rawValue: 0x46)
    public static let groupDescribe = Opcode(rawValue: 0x47)
    public static let groupReset = Opcode(rawValue: 0x48)
    public static let groupDelete = Opcode(rawValue: 0x49)
    public static let groupRecovery = Opcode(rawValue: 0x4A)
    public static let groupConfigure = Opcode(rawValue: 0x4B)
    public static let groupPending = Opcode(rawValue: 0x4C)
    public static let groupSettle = Opcode(rawValue: 0x4D)

    // Responses and pushes.
    public static let ok = Opcode(rawValue: 0x80)
    public static let helloOK = Opcode(rawValue: 0x81)
    public static let pong = Opcode(rawValue: 0x82)
    public static let statsResult = Opcode(rawValue: 0x83)
    public static let accessDecision = Opcode(rawValue: 0x84)
    public static let connectionList = Opcode(rawValue: 0x85)
    public static let mirrorListResult = Opcode(rawValue: 0x86)
    public static let topicInfo = Opcode(rawValue: 0x90)
    public static let topicList = Opcode(rawValue: 0x91)
    public static let produced = Opcode(rawValue: 0xA0)
    public static let records = Opcode(rawValue: 0xA1)
    public static let subscribed = Opcode(rawValue: 0xA2)
    public static let delivery = Opcode(rawValue: 0xA3)
    public static let groupDelivery = Opcode(rawValue: 0xA4)
    public static let producedIdempotent = Opcode(rawValue: 0xA5)
    public static let groupJoined = Opcode(rawValue: 0xB0)
    public static let groupCommitted = Opcode(rawValue: 0xB1)
    public static let groupListResult = Opcode(rawValue: 0xB2)
    public static let groupInfo = Opcode(rawValue: 0xB3)
    public static let groupResetPlan = Opcode(rawValue: 0xB4)
    public static let groupRecoveryNotes = Opcode(rawValue: 0xB5)
    public static let groupPendingList = Opcode(rawValue: 0xB6)
    public static let error = Opcode(rawValue: 0xFF)

    /// Whether the opcode is a response or push (server to client).
    public var isResponse: Bool { rawValue & 0x80 != 0 }

    public var description: String {
        Self.names[rawValue] ?? "0x" + String(rawValue, radix: 16, uppercase: true)
    }

    /// Built once (a literal in `description` was built at every call).
    private static let names: [UInt8: String] = [
        0x01: "HELLO", 0x02: "PING", 0x03: "STATS", 0x10: "CREATE_TOPIC", 0x11: "DELETE_TOPIC",
        0x12: "LIST_TOPICS", 0x13: "DESCRIBE_TOPIC", 0x20: "PRODUCE", 0x21: "FETCH", 0x22: "SUBSCRIBE",
        0x23: "CREDIT", 0x24: "UNSUBSCRIBE", 0x80: "OK", 0x81: "HELLO_OK", 0x82: "PONG", 0x83: "STATS_RESULT",
        0x90: "TOPIC_INFO", 0x91: "TOPIC_LIST", 0xA0: "PRODUCED", 0xA1: "RECORDS", 0xA2: "SUBSCRIBED",
        0xA3: "DELIVERY", 0xFF: "ERROR", 0x40: "GROUP_JOIN", 0x41: "GROUP_ACK", 0x42: "GROUP_NACK",
        0x43: "GROUP_LEAVE", 0x44: "GROUP_COMMIT", 0x45: "GROUP_OFFSET", 0x46: "GROUP_LIST", 0x47: "GROUP_DESCRIBE",
        0x48: "GROUP_RESET", 0x49: "GROUP_DELETE", 0xA4: "GROUP_DELIVERY", 0xB0: "GROUP_JOINED",
        0xB1: "GROUP_COMMITTED", 0xB2: "GROUP_LIST_RESULT", 0xB3: "GROUP_INFO", 0xB4: "GROUP_RESET_PLAN",
        0x04: "ACCESS_CHECK", 0x05: "LIST_CONNECTIONS", 0x14: "CONFIGURE_TOPIC", 0x25: "PRODUCE_IDEMPOTENT",
        0x4A: "GROUP_RECOVERY", 0x4B: "GROUP_CONFIGURE", 0x4C: "GROUP_PENDING", 0x4D: "GROUP_SETTLE",
        0x84: "ACCESS_DECISION", 0x85: "CONNECTION_LIST", 0xA5: "PRODUCED_IDEMPOTENT", 0xB5: "GROUP_RECOVERY_NOTES",
        0xB6: "GROUP_PENDING_LIST", 0x06: "MIRROR_LIST", 0x07: "MIRROR_CONTROL", 0x86: "MIRROR_LIST_RESULT",
    ]
}
