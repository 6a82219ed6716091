import NIOCore

/// The protocol version this library speaks.
public let immutaProtocolVersion: UInt16 = 1

/// Where a fetch or subscription starts.
public enum WireStart: Sendable, Hashable {
    case earliest
    case latest
    case offset(UInt64)
    /// Nanoseconds since the Unix epoch.
    case timestamp(Int64)

    func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .earliest: buffer.writeWire(UInt8(0)); buffer.writeWire(UInt64(0))
        case .latest: buffer.writeWire(UInt8(1)); buffer.writeWire(UInt64(0))
        case .offset(let offset): buffer.writeWire(UInt8(2)); buffer.writeWire(offset)
        case .timestamp(let time): buffer.writeWire(UInt8(3)); buffer.writeWire(time)
        }
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireStart {
        let kind = try buffer.readWire(UInt8.self, "start kind")
        let value = try buffer.readWire(UInt64.self, "start value")
        switch kind {
        case 0: return .earliest
        case 1: return .latest
        case 2: return .offset(value)
        case 3: return .timestamp(Int64(bitPattern: value))
        default: throw ProtocolError(.invalidRequest, "start kind \(kind) is not 0 (earliest), 1 (latest), 2 (offset) or 3 (timestamp)")
        }
    }
}

/// When a produce is acknowledged.
public enum WireAck: UInt8, Sendable, Hashable {
    /// Once the batch is written and visible to readers.
    case write = 0
    /// Once the batch is on stable storage (fdatasync).
    case fsync = 1
}

/// A topic's settings on the wire. Zero (or an empty durability) means "the server's default" in
/// CREATE_TOPIC and "no limit" for the retention fields in TOPIC_INFO.
public struct WireTopicConfig: Sendable, Hashable {
    public var segmentBytes: UInt64
    public var maxRecordBytes: UInt64
    public var retentionBytes: UInt64
    public var retentionMilliseconds: Int64
    /// `none`, `fsync` or `interval:MS`.
    public var durability: String

    public init(
        segmentBytes: UInt64 = 0, maxRecordBytes: UInt64 = 0, retentionBytes: UInt64 = 0,
        retentionMilliseconds: Int64 = 0, durability: String = ""
    ) {
        self.segmentBytes = segmentBytes
        self.maxRecordBytes = maxRecordBytes
        self.retentionBytes = retentionBytes
        self.retentionMilliseconds = retentionMilliseconds
        self.durability = durability
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWire(segmentBytes)
        buffer.writeWire(maxRecordBytes)
        buffer.writeWire(retentionBytes)
        buffer.writeWire(retentionMilliseconds)
        buffer.writeWireString(durability)
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireTopicConfig {
        WireTopicConfig(
            segmentBytes: try buffer.readWire(UInt64.self, "segment_bytes"),
            maxRecordBytes: try buffer.readWire(UInt64.self, "max_record_bytes"),
            retentionBytes: try buffer.readWire(UInt64.self, "retention_bytes"),
            retentionMilliseconds: try buffer.readWire(Int64.self, "retention_ms"),
            durability: try buffer.readWireString("durability"))
    }
}

/// A topic's description.
public struct WireTopicInfo: Sendable, Hashable {
    public var name: String
    public var config: WireTopicConfig
    public var earliestOffset: UInt64
    public var nextOffset: UInt64
    public var bytes: UInt64
    public var segments: UInt32
    /// Nanoseconds since the Unix epoch.
    public var createdAt: Int64

    public init(
        name: String, config: WireTopicConfig, earliestOffset: UInt64, nextOffset: UInt64, bytes: UInt64,
        segments: UInt32, createdAt: Int64
    ) {
        self.name = name
        self.config = config
        self.earliestOffset = earliestOffset
        self.nextOffset = nextOffset
        self.bytes = bytes
        self.segments = segments
        self.createdAt = createdAt
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        config.encode(into: &buffer)
        buffer.writeWire(earliestOffset)
        buffer.writeWire(nextOffset)
        buffer.writeWire(bytes)
        buffer.writeWire(segments)
        buffer.writeWire(createdAt)
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireTopicInfo {
        WireTopicInfo(
            name: try buffer.readWireString("name"),
            config: try WireTopicConfig.decode(from: &buffer),
            earliestOffset: try buffer.readWire(UInt64.self, "earliest_offset"),
            nextOffset: try buffer.readWire(UInt64.self, "next_offset"),
            bytes: try buffer.readWire(UInt64.self, "bytes"),
            segments: try buffer.readWire(UInt32.self, "segments"),
            createdAt: try buffer.readWire(Int64.self, "created_at"))
    }
}

/// The fixed part of a RECORDS or DELIVERY body. It is followed by `count` 32-byte index entries,
/// then the records in the seed format (8-byte little-endian size, payload), to the end of the frame.
public struct WireRecordsHeader: Sendable, Hashable {
    /// Bytes of the fixed part.
    public static let size = 20
    /// Offset of the first record.
    public var firstOffset: UInt64
    /// Number of records.
    public var count: UInt32
    /// The topic's next offset when the frame was built (for lag).
    public var logEndOffset: UInt64

    public init(firstOffset: UInt64, count: UInt32, logEndOffset: UInt64) {
        self.firstOffset = firstOffset
        self.count = count
        self.logEndOffset = logEndOffset
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWire(firstOffset)
        buffer.writeWire(count)
        buffer.writeWire(logEndOffset)
    }

    static func decode(from buffer: inout ByteBuffer) throws -> WireRecordsHeader {
        WireRecordsHeader(
            firstOffset: try buffer.readWire(UInt64.self, "first_offset"),
            count: try buffer.readWire(UInt32.self, "count"),
            logEndOffset: try buffer.readWire(UInt64.self, "log_end_offset"))
    }
}
