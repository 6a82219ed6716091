import NIOCore

/// Requests about access control (opcodes 0x04–0x05): who a connection is, and what a rule allows.
public enum AccessRequest: Sendable, Hashable {
    /// ACCESS_CHECK. Body: user string (empty: the asking connection's own identity), operation
    /// string (`produce`, `consume` or `admin`), topic string, group string (empty: none).
    case check(user: String, operation: String, topic: String, group: String)
    /// LIST_CONNECTIONS. Body: empty.
    case connections

    public var opcode: Opcode {
        switch self {
        case .check: .accessCheck
        case .connections: .listConnections
        }
    }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .check(let user, let operation, let topic, let group):
            buffer.writeWireString(user)
            buffer.writeWireString(operation)
            buffer.writeWireString(topic)
            buffer.writeWireString(group)
        case .connections:
            break
        }
    }

    static func decode(_ opcode: Opcode, body: inout ByteBuffer) throws -> AccessRequest {
        switch opcode {
        case .accessCheck:
            return .check(
                user: try body.readWireString("user"), operation: try body.readWireString("operation"),
                topic: try body.readWireString("topic"), group: try body.readWireString("group"))
        default:
            return .connections
        }
    }
}

/// One client connection in a CONNECTION_LIST, as the kernel identified it.
public struct WireConnection: Sendable, Hashable {
    /// The daemon's number for the connection.
    public var id: UInt64
    /// The peer's process, user and primary group, from SO_PEERCRED when it connected.
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The user's name (empty when the uid has none).
    public var user: String
    /// Every group of the user, primary and supplementary, as `name(gid)` or `gid`.
    public var groups: [String]
    /// The name the client gave in HELLO.
    public var clientName: String
    /// When it connected, in milliseconds since the Unix epoch.
    public var connectedAt: Int64
    /// Whether this is the connection that asked.
    public var isSelf: Bool

    public init(
        id: UInt64, pid: Int32, uid: UInt32, gid: UInt32, user: String, groups: [String], clientName: String,
        connectedAt: Int64, isSelf: Bool
    ) {
        self.id = id
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.user = user
        self.groups = groups
        self.clientName = clientName
        self.connectedAt = connectedAt
        self.isSelf = isSelf
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWire(id)
        buffer.writeWire(pid)
        buffer.writeWire(uid)
        buffer.writeWire(gid)
        buffer.writeWireString(user)
        buffer.writeWire(UInt16(min(groups.count, Int(UInt16.max))))
        for group in groups.prefix(Int(UInt16.max)) { buffer.writeWireString(group) }
        buffer.writeWireString(clientName)
        buffer.writeWire(connectedAt)
        buffer.writeWire(UInt8(isSelf ? 1 : 0))
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireConnection {
        let id = try buffer.readWire(UInt64.self, "id")
        let pid = try buffer.readWire(Int32.self, "pid")
        let uid = try buffer.readWire(UInt32.self, "uid")
        let gid = try buffer.readWire(UInt32.self, "gid")
        let user = try buffer.readWireString("user")
        let groupCount = try buffer.readWire(UInt16.self, "group_count")
        var groups: [String] = []
        for _ in 0..<groupCount { groups.append(try buffer.readWireString("group")) }
        let clientName = try buffer.readWireString("client_name")
        let connectedAt = try buffer.readWire(Int64.self, "connected_at_ms")
        let isSelf = try buffer.readWire(UInt8.self, "is_self")
        guard isSelf <= 1 else { throw ProtocolError(.malformedFrame, "is_self \(isSelf) is not 0 or 1") }
        return WireConnection(
            id: id, pid: pid, uid: uid, gid: gid, user: user, groups: groups, clientName: clientName,
            connectedAt: connectedAt, isSelf: isSelf == 1)
    }
}

/// Responses to access requests (opcodes 0x84–0x85).
public enum AccessResponse: Sendable, Hashable {
    /// ACCESS_DECISION. Body: allowed u8, subject string (who was checked), explanation string
    /// (which rule decides, or why none does).
    case decision(allowed: Bool, subject: String, explanation: String)
    /// CONNECTION_LIST. Body: count u32, then `count` connections.
    case connections([WireConnection])

    public var opcode: Opcode {
        switch self {
        case .decision: .accessDecision
        case .connections: .connectionList
        }
    }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .decision(let allowed, let subject, let explanation):
            buffer.writeWire(UInt8(allowed ? 1 : 0))
            buffer.writeWireString(subject)
            buffer.writeWireString(explanation)
        case .connections(let list):
            buffer.writeWire(UInt32(list.count))
            for connection in list { connection.encode(into: &buffer) }
        }
    }

    static func decode(_ opcode: Opcode, body: inout ByteBuffer) throws -> AccessResponse {
        switch opcode {
        case .accessDecision:
            let allowed = try body.readWire(UInt8.self, "allowed")
            guard allowed <= 1 else { throw ProtocolError(.malformedFrame, "allowed \(allowed) is not 0 or 1") }
            return .decision(
                allowed: allowed == 1, subject: try body.readWireString("subject"),
                explanation: try body.readWireString("explanation"))
        default:
            let count = try body.readWire(UInt32.self, "count")
            var list: [WireConnection] = []
            for _ in 0..<count { list.append(try WireConnection.decode(from: &body)) }
            return .connections(list)
        }
    }
}
