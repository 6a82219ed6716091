import ImmutaProtocol
import NIOCore

/// Where reading starts.
public enum StartPosition: Sendable, Hashable {
    /// The earliest retained record.
    case earliest
    /// The next record produced from now on.
    case latest
    /// A specific offset.
    case offset(UInt64)
    /// The first record appended at or after this time, in nanoseconds since the Unix epoch.
    case timestamp(nanosecondsSinceEpoch: Int64)

    var wire: WireStart {
        switch self {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let offset): .offset(offset)
        case .timestamp(let time): .timestamp(time)
        }
    }
}

/// When a produce is acknowledged.
public enum Ack: Sendable, Hashable {
    /// Once the batch is written and visible to readers (it survives a crash of immutad, not a
    /// power loss, unless the topic's durability has flushed it meanwhile).
    case write
    /// Once the batch is on disk (fdatasync). Concurrent producers share one flush.
    case fsync

    var wire: WireAck { self == .write ? .write : .fsync }
}

/// One record read from a topic, checksum-verified.
public struct ImmutaRecord: Sendable, Equatable {
    /// Its offset.
    public var offset: UInt64
    /// Its append time, in nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// Its payload, without copying it out of the received frame.
    public var payload: ByteBuffer

    /// The payload as bytes.
    public var bytes: [UInt8] { Array(payload.readableBytesView) }
    /// The payload decoded as UTF-8 (invalid sequences replaced).
    public var string: String { String(buffer: payload) }

    init(_ wire: WireRecord) {
        offset = wire.offset
        timestamp = wire.timestamp
        payload = wire.payload
    }
}

/// Settings for a new topic; nil leaves a value to the daemon's defaults.
public struct TopicOptions: Sendable, Hashable {
    /// `none`, `fsync` or `interval:MS`.
    public var durability: String?
    /// Segment size in bytes.
    public var segmentBytes: UInt64?
    /// Largest record in bytes.
    public var maxRecordBytes: UInt64?
    /// Keep at most this many bytes.
    public var retentionBytes: UInt64?
    /// Delete segments older than this.
    public var retentionAge: Duration?

    /// Creates options.
    public init(
        durability: String? = nil, segmentBytes: UInt64? = nil, maxRecordBytes: UInt64? = nil,
        retentionBytes: UInt64? = nil, retentionAge: Duration? = nil
    ) {
        self.durability = durability
        self.segmentBytes = segmentBytes
        self.maxRecordBytes = maxRecordBytes
        self.retentionBytes = retentionBytes
        self.retentionAge = retentionAge
    }

    var wire: WireTopicConfig {
        let ms = retentionAge?.wholeMilliseconds
        return WireTopicConfig(
            segmentBytes: segmentBytes ?? 0, maxRecordBytes: maxRecordBytes ?? 0, retentionBytes: retentionBytes ?? 0,
            retentionMilliseconds: ms ?? 0, durability: durability ?? "")
    }
}

/// A topic as the daemon describes it.
public struct TopicDescription: Sendable, Hashable {
    /// Its name.
    public var name: String
    /// `none`, `fsync` or `interval:MS`.
    public var durability: String
    /// Segment size in bytes.
    public var segmentBytes: UInt64
    /// Largest record in bytes.
    public var maxRecordBytes: UInt64
    /// Retention by size (nil: unlimited).
    public var retentionBytes: UInt64?
    /// Retention by age in milliseconds (nil: unlimited).
    public var retentionMilliseconds: Int64?
    /// The earliest retained offset.
    public var earliestOffset: UInt64
    /// The offset the next record gets.
    public var nextOffset: UInt64
    /// Bytes on disk.
    public var bytes: UInt64
    /// Segment files.
    public var segments: Int
    /// Creation time, nanoseconds since the Unix epoch.
    public var createdAt: Int64
    /// Records retained.
    public var records: UInt64 { nextOffset - earliestOffset }

    init(_ info: WireTopicInfo) {
        name = info.name
        durability = info.config.durability
        segmentBytes = info.config.segmentBytes
        maxRecordBytes = info.config.maxRecordBytes
        retentionBytes = info.config.retentionBytes == 0 ? nil : info.config.retentionBytes
        retentionMilliseconds = info.config.retentionMilliseconds == 0 ? nil : info.config.retentionMilliseconds
        earliestOffset = info.earliestOffset
        nextOffset = info.nextOffset
        bytes = info.bytes
        segments = Int(info.segments)
        createdAt = info.createdAt
    }
}

/// The offsets a produced batch received.
public struct ProduceResult: Sendable, Hashable {
    /// Offset of the first record.
    public var firstOffset: UInt64
    /// Number of records.
    public var count: Int
    /// The batch's append time, nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// Offset of the last record.
    public var lastOffset: UInt64 { firstOffset + UInt64(count) - 1 }
}

/// Records returned by a fetch.
public struct FetchResult: Sendable {
    /// The records, in offset order.
    public var records: [ImmutaRecord]
    /// Where the next fetch should start.
    public var nextOffset: UInt64
    /// The topic's next offset when the server answered (`logEndOffset - nextOffset` is the lag).
    public var logEndOffset: UInt64
}

extension Duration {
    /// Whole milliseconds, as the protocol's millisecond fields carry them.
    var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
