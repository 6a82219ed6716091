import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a reader starts.
public enum StartPosition: Sendable, Hashable {
    /// The earliest retained record.
    case earliest
    /// The next record to be written: only records appended from now on.
    case latest
    /// A specific offset.
    case offset(UInt64)
    /// The first record appended at or after this time (nanoseconds since the Unix epoch).
    case timestamp(Int64)
}

/// The offsets and size of a log.
public struct LogBounds: Sendable, Hashable {
    /// The earliest retained offset.
    public var earliestOffset: UInt64
    /// The offset the next record will get.
    public var nextOffset: UInt64
    /// Data and index bytes on disk.
    public var bytes: UInt64
    /// Number of segments.
    public var segments: Int
    /// Records currently retained.
    public var records: UInt64 { nextOffset - earliestOffset }
}

/// The offsets a committed batch received.
public struct AppendResult: Sendable, Hashable {
    /// Offset of the batch's first record.
    public var firstOffset: UInt64
    /// Number of records in the batch.
    public var count: UInt64
    /// The append time shared by the batch's records (nanoseconds since the Unix epoch).
    public var timestamp: Int64
    /// Offset of the batch's last record.
    public var lastOffset: UInt64 { firstOffset + count - 1 }
    /// The offset after the batch.
    public var nextOffset: UInt64 { firstOffset + count }
}

/// One record read back from a log.
public struct Record: Sendable, Hashable {
    /// The record's offset.
    public var offset: UInt64
    /// Its append time, in nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// Its payload.
    public var payload: [UInt8]

    /// Creates a record.
    public init(offset: UInt64, timestamp: Int64, payload: [UInt8]) {
        self.offset = offset
        self.timestamp = timestamp
        self.payload = payload
    }
}

/// The wall clock in nanoseconds since the Unix epoch.
public func currentTimeNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// A monotonic clock in nanoseconds, for measuring how long something has taken.
public func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
