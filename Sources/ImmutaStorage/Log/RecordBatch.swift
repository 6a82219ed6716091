#if canImport(Glibc)
import Glibc
#endif
import SystemPackage
import Synchronization
/// Consecutive records read from one segment, checksum-verified, held as the seed-format bytes
/// they have on disk plus their index entries. Payloads are slices of one buffer, so iterating
/// allocates nothing per record.
public struct RecordBatch: Sendable {
    /// Offset of the first record.
    public let firstOffset: UInt64
    /// One index entry per record.
    public let entries: [IndexEntry]
    /// The records in the seed format (8-byte little-endian size, then payload), back to back.
    public let framed: [UInt8]
    let basePosition: UInt64

    /// Number of records.
    public var count: Int { entries.count }
    /// Whether the batch holds no record.
    public var isEmpty: Bool { entries.isEmpty }
    /// The offset after the last record.
    public var nextOffset: UInt64 { firstOffset + UInt64(entries.count) }

    /// The payload of the `i`th record, as a slice of ``framed``.
    public func payload(_ i: Int) -> ArraySlice<UInt8> {
        let start = Int(entries[i].position - basePosition) + RecordFraming.headerSize
        return framed[start..<(start + Int(entries[i].length))]
    }

    /// The records as values (one allocation per payload; use ``payload(_:)`` on hot paths).
    public var records: [Record] {
        entries.indices.map { i in
            Record(offset: firstOffset + UInt64(i), timestamp: entries[i].timestamp, payload: Array(payload(i)))
        }
    }

    static func empty(at offset: UInt64) -> RecordBatch {
        RecordBatch(firstOffset: offset, entries: [], framed: [], basePosition: 0)
    }
}

/// Where a run of consecutive records lies in one segment's files, for sending them without
/// copying (sendfile). The slice keeps the segment's descriptors open while it lives.
public struct LogSlice: Sendable {
    /// Offset of the first record.
    public let firstOffset: UInt64
    /// The records' index entries, decoded.
    public let entries: [IndexEntry]
    /// The same entries as they are on disk (32 bytes each).
    public let indexBytes: [UInt8]
    /// Byte position of the first record in the data file.
    public let dataPosition: UInt64
    /// Bytes of seed-format records from ``dataPosition``.
    public let dataLength: UInt64
    let segment: Segment

    /// Number of records.
    public var count: Int { entries.count }
    /// The offset after the last record.
    public var nextOffset: UInt64 { firstOffset + UInt64(entries.count) }
    /// Path of the data file.
    public var dataPath: String { segment.dataPath }
    /// The first records of the slice whose data fits in `bytes` (always at least one record).
    public func prefix(fittingIn bytes: Int) -> LogSlice {
        var count = 1
        while count < entries.count && entries[count].endPosition - dataPosition <= UInt64(bytes) { count += 1 }
        guard count < entries.count else { return self }
        return LogSlice(
            firstOffset: firstOffset, entries: Array(entries[0..<count]),
            indexBytes: Array(indexBytes[0..<(count * IndexEntry.size)]), dataPosition: dataPosition,
            dataLength: entries[count - 1].endPosition - dataPosition, segment: segment)
    }

    /// A duplicate of the data file's descriptor, for a sendfile that may outlive the slice,
    /// counted against `max_open_segment_files`; give it back with ``returnDataDescriptor(_:)``.
    /// Nil when there is no room for another descriptor (copy the records instead).
    public func leaseDataDescriptor() -> CInt? {
        segment.leaseDataDescriptor()
    }

    /// Closes a descriptor from ``leaseDataDescriptor()``.
    public func returnDataDescriptor(_ descriptor: CInt) {
        segment.returnLease(descriptor)
    }

    /// Copies the slice's seed-format records into `buffer`, which must hold ``dataLength`` bytes.
    /// For small replies a copy is cheaper than a sendfile and holds no descriptor while queued.
    public func readData(into buffer: UnsafeMutableRawBufferPointer) throws {
        let read = try segment.withFiles { try FileIO.read($0.data, into: buffer, at: dataPosition, path: segment.dataPath) }
        guard read == buffer.count else {
            throw StorageError.unrecoverable(
                log: segment.dataPath, file: segment.dataPath, position: dataPosition + UInt64(read),
                reason: "the data file ends before the records its index lists")
        }
    }
}
