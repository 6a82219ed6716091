import CImmutaChecksum
import NIOCore

/// One record as it arrives in a RECORDS or DELIVERY frame, checked end to end.
public struct WireRecord: Sendable, Equatable {
    /// The record's offset in its topic.
    public var offset: UInt64
    /// Its append time, in nanoseconds since the Unix epoch.
    public var timestamp: Int64
    /// Its payload (a slice of the frame, no copy).
    public var payload: ByteBuffer
}

extension WireRecordsHeader {
    /// Splits the index and data parts of a RECORDS or DELIVERY body into records, verifying every
    /// index entry's own CRC32C, that each size prefix matches its entry, and every payload's
    /// CRC32C, so a client never hands out bytes that differ from what was produced.
    ///
    /// - Throws: ``ProtocolError`` with ``ErrorCode/corruptData`` naming the offset on any mismatch.
    public func records(index: ByteBuffer, data: ByteBuffer) throws -> [WireRecord] {
        guard count > 0 else { return [] }
        var records: [WireRecord] = []
        // A count the index part cannot back must not size an allocation.
        records.reserveCapacity(min(Int(count), index.readableBytes / 32))
        try index.withUnsafeReadableBytes { entries in
            try data.withUnsafeReadableBytes { bytes in
                guard entries.count == Int(count) * 32 else {
                    throw ProtocolError(.corruptData, "expected \(count) index entries, got \(entries.count) bytes")
                }
                let base = UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                var expected = 0
                for i in 0..<Int(count) {
                    let at = i * 32
                    let offset = firstOffset &+ UInt64(i)  // a bad first_offset must not trap
                    let entryCRC = UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: at + 28, as: UInt32.self))
                    guard immuta_crc32c(0, entries.baseAddress! + at, 28) == entryCRC else {
                        throw ProtocolError(.corruptData, "index entry of offset \(offset) fails its checksum")
                    }
                    let position = UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                    let timestamp = Int64(littleEndian: entries.loadUnaligned(fromByteOffset: at + 8, as: Int64.self))
                    let length = Int(UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: at + 16, as: UInt32.self)))
                    let crc = UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: at + 20, as: UInt32.self))
                    // Compared as UInt64: a position below the base must not trap in Int().
                    let start = expected
                    guard position >= base, position - base == UInt64(expected), start + 8 + length <= bytes.count,
                        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)) == UInt64(length)
                    else {
                        throw ProtocolError(.corruptData, "record at offset \(offset) does not match its index entry")
                    }
                    guard immuta_crc32c(0, bytes.baseAddress! + start + 8, length) == crc else {
                        throw ProtocolError(.corruptData, "record at offset \(offset) fails its CRC32C")
                    }
                    records.append(
                        WireRecord(
                            offset: offset, timestamp: timestamp,
                            payload: data.getSlice(at: data.readerIndex + start + 8, length: length)!))
                    expected = start + 8 + length
                }
                guard expected == bytes.count else {
                    throw ProtocolError(.corruptData, "\(bytes.count - expected) bytes follow the last record")
                }
            }
        }
        return records
    }
}
