import NIOCore

/// Requests about mirrors and sources, the daemon's links to NATS JetStream (opcodes 0x06–0x07).
public enum MirrorRequest: Sendable, Hashable {
    /// MIRROR_LIST. Body: empty.
    case list
    /// MIRROR_CONTROL. Body: name string (a mirror or source), action u8 (0 pause, 1 resume).
    case control(name: String, resume: Bool)

    public var opcode: Opcode {
        switch self {
        case .list: .mirrorList
        case .control: .mirrorControl
        }
    }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .list: break
        case .control(let name, let resume):
            buffer.writeWireString(name)
            buffer.writeWire(UInt8(resume ? 1 : 0))
        }
    }

    static func decode(_ opcode: Opcode, body: inout ByteBuffer) throws -> MirrorRequest {
        guard opcode == .mirrorControl else { return .list }
        let name = try body.readWireString("name")
        let action = try body.readWire(UInt8.self, "action")
        // invalid_request like every other request field out of range: malformed_frame is
        // connection-level, and one bad byte in a request must not end the connection.
        guard action <= 1 else { throw ProtocolError(.invalidRequest, "action \(action) is not 0 (pause) or 1 (resume)") }
        return .control(name: name, resume: action == 1)
    }
}

/// One mirrored topic or one source in a MIRROR_LIST_RESULT.
public struct WireMirror: Sendable, Hashable {
    /// 0: a mirror (topic to stream), 1: a source (stream to topic).
    public var isSource: Bool
    public var name: String
    public var topic: String
    public var stream: String
    /// A mirror's subject, or a source's durable consumer.
    public var target: String
    /// connecting, running, rewinding, disconnected, paused, error or stopped.
    public var state: String
    /// A mirror's resume point, or a source's last applied stream sequence.
    public var position: UInt64
    public var topicEnd: UInt64
    public var lagRecords: UInt64
    public var lagMilliseconds: Int64
    /// Records per second, times 1000.
    public var milliRecordsPerSecond: UInt64
    public var records: UInt64
    public var duplicates: UInt64
    public var rewinds: UInt64
    public var lastError: String
    /// Milliseconds since the Unix epoch; 0 when there was none.
    public var lastErrorAt: Int64

    public init(
        isSource: Bool, name: String, topic: String, stream: String, target: String, state: String, position: UInt64, topicEnd: UInt64,
        lagRecords: UInt64, lagMilliseconds: Int64, milliRecordsPerSecond: UInt64, records: UInt64, duplicates: UInt64, rewinds: UInt64,
        lastError: String, lastErrorAt: Int64
    ) {
        self.isSource = isSource
        self.name = name
        self.topic = topic
        self.stream = stream
        self.target = target
        self.state = state
        self.position = position
        self.topicEnd = topicEnd
        self.lagRecords = lagRecords
        self.lagMilliseconds = lagMilliseconds
        self.milliRecordsPerSecond = milliRecordsPerSecond
        self.records = records
        self.duplicates = duplicates
        self.rewinds = rewinds
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWire(UInt8(isSource ? 1 : 0))
        for text in [name, topic, stream, target, state] { buffer.writeWireString(text) }
        for value in [position, topicEnd, lagRecords] { buffer.writeWire(value) }
        buffer.writeWire(lagMilliseconds)
        for value in [milliRecordsPerSecond, records, duplicates, rewinds] { buffer.writeWire(value) }
        buffer.writeWireString(lastError)
        buffer.writeWire(lastErrorAt)
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireMirror {
        let kind = try buffer.readWire(UInt8.self, "kind")
        guard kind <= 1 else { throw ProtocolError(.malformedFrame, "kind \(kind) is not 0 (mirror) or 1 (source)") }
        return WireMirror(
            isSource: kind == 1, name: try buffer.readWireString("name"), topic: try buffer.readWireString("topic"),
            stream: try buffer.readWireString("stream"), target: try buffer.readWireString("target"), state: try buffer.readWireString("state"),
            position: try buffer.readWire(UInt64.self, "position"), topicEnd: try buffer.readWire(UInt64.self, "topic_end"),
            lagRecords: try buffer.readWire(UInt64.self, "lag_records"), lagMilliseconds: try buffer.readWire(Int64.self, "lag_ms"),
            milliRecordsPerSecond: try buffer.readWire(UInt64.self, "milli_records_per_sec"), records: try buffer.readWire(UInt64.self, "records"),
            duplicates: try buffer.readWire(UInt64.self, "duplicates"), rewinds: try buffer.readWire(UInt64.self, "rewinds"),
            lastError: try buffer.readWireString("last_error"), lastErrorAt: try buffer.readWire(Int64.self, "last_error_at_ms"))
    }
}

/// MIRROR_LIST_RESULT (0x86). Body: count u32, then `count` entries.
public enum MirrorResponse: Sendable, Hashable {
    case list([WireMirror])

    public var opcode: Opcode { .mirrorListResult }

    func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .list(let entries):
            buffer.writeWire(UInt32(entries.count))
            for entry in entries { entry.encode(into: &buffer) }
        }
    }

    static func decode(_ opcode: Opcode, body: inout ByteBuffer) throws -> MirrorResponse {
        let count = try body.readWire(UInt32.self, "count")
        var entries: [WireMirror] = []
        for _ in 0..<count { entries.append(try WireMirror.decode(from: &body)) }
        return .list(entries)
    }
}
