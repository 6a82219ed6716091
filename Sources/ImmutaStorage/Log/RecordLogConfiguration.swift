import Synchronization
/// When a log's writes reach stable storage.
public enum Durability: Sendable, Hashable, CustomStringConvertible, Codable {
    /// Left in the page cache; flushed when a segment is closed and at shutdown.
    case none
    /// fdatasync after every batch. Concurrent appenders share one fdatasync (group commit).
    case fsync
    /// fdatasync at most every `milliseconds`, so at most that much acknowledged data is at risk.
    case interval(milliseconds: Int)

    /// Parses `none`, `fsync` or `interval:MS`.
    public init(parsing text: String) throws {
        switch text {
        case "none": self = .none
        case "fsync": self = .fsync
        default:
            guard text.hasPrefix("interval:"), let ms = Int(text.dropFirst("interval:".count)),
                RecordLogConfiguration.durabilityIntervalRange.contains(ms)
            else {
                throw StorageError.invalidConfiguration(
                    "durability \(String(reflecting: text)) is not one of none, fsync, interval:MS (MS from 1 to 3600000)")
            }
            self = .interval(milliseconds: ms)
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .fsync: "fsync"
        case .interval(let ms): "interval:\(ms)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Durability(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// How a record log stores, flushes and expires its records.
public struct RecordLogConfiguration: Sendable, Hashable, Codable {
    /// A segment is closed and a new one started once it holds this many data bytes.
    public var segmentBytes: UInt64
    /// The largest payload a record may have.
    public var maxRecordBytes: UInt64
    /// When writes are flushed to disk.
    public var durability: Durability
    /// Delete the oldest segments while the log holds more than this many bytes (nil: no limit).
    public var retentionBytes: UInt64?
    /// Delete segments whose newest record is older than this many milliseconds (nil: no limit).
    public var retentionMilliseconds: Int64?

    /// The smallest segment size accepted.
    public static let minimumSegmentBytes: UInt64 = 4096
    /// The largest segment size accepted (1 TiB).
    public static let maximumSegmentBytes: UInt64 = 1 << 40
    /// The largest record size accepted.
    public static let maximumRecordBytes: UInt64 = 1 << 30
    /// The allowed retention ages, in milliseconds: from 1 second to 100 years of 365.25 days.
    /// The upper bound keeps `age × 10⁶` (nanoseconds) far inside an Int64.
    public static let retentionMillisecondsRange: ClosedRange<Int64> = 1_000...3_155_760_000_000
    /// The allowed `interval:MS` durability periods, in milliseconds (up to one hour).
    public static let durabilityIntervalRange: ClosedRange<Int> = 1...3_600_000

    /// Creates a configuration; the defaults are 64 MiB segments, 8 MiB records, `fsync`, and no retention.
    public init(
        segmentBytes: UInt64 = 64 << 20,
        maxRecordBytes: UInt64 = 8 << 20,
        durability: Durability = .fsync,
        retentionBytes: UInt64? = nil,
        retentionMilliseconds: Int64? = nil
    ) {
        self.segmentBytes = segmentBytes
        self.maxRecordBytes = maxRecordBytes
        self.durability = durability
        self.retentionBytes = retentionBytes
        self.retentionMilliseconds = retentionMilliseconds
    }

    /// Checks every value against its allowed range. Every configuration that enters the engine
    /// (from a client, the configuration file or a topic's `topic.json`) passes through here, so
    /// later arithmetic on these values cannot overflow.
    public func validate() throws {
        guard (Self.minimumSegmentBytes...Self.maximumSegmentBytes).contains(segmentBytes) else {
            throw StorageError.invalidConfiguration(
                "segment size \(segmentBytes) must be from \(Self.minimumSegmentBytes) to \(Self.maximumSegmentBytes) bytes (4 KiB to 1 TiB)")
        }
        guard maxRecordBytes >= 1 && maxRecordBytes <= Self.maximumRecordBytes else {
            throw StorageError.invalidConfiguration("maximum record size \(maxRecordBytes) must be from 1 to \(Self.maximumRecordBytes) bytes")
        }
        if let retentionBytes, retentionBytes == 0 {
            throw StorageError.invalidConfiguration("retention bytes must be positive (omit it for no limit)")
        }
        if let retentionMilliseconds, !Self.retentionMillisecondsRange.contains(retentionMilliseconds) {
            throw StorageError.invalidConfiguration(
                "retention age \(retentionMilliseconds) ms must be between 1 s and 100 years (1000 to 3155760000000 ms; omit it for no limit)")
        }
        if case .interval(let ms) = durability, !Self.durabilityIntervalRange.contains(ms) {
            throw StorageError.invalidConfiguration("durability interval \(ms) ms must be from 1 to 3600000 ms")
        }
    }

    enum CodingKeys: String, CodingKey {
        case segmentBytes = "segment_bytes"
        case maxRecordBytes = "max_record_bytes"
        case durability
        case retentionBytes = "retention_bytes"
        case retentionMilliseconds = "retention_ms"
    }
}
