/// One fixed-width entry of a segment's index file (`.idx`): where a record is, when it was
/// appended, its checksum, and whether it closes a batch.
///
/// Layout (32 bytes, little-endian):
///
/// ```
///  0        8          16       20       24       28       32
///  +--------+----------+--------+--------+--------+--------+
///  |position|timestamp |length  |crc32c  |flags   |entryCRC|
///  +--------+----------+--------+--------+--------+--------+
/// ```
///
/// `entryCRC` is the CRC32C of bytes 0..<28, so a torn or zero-filled index tail is detected
/// without looking at the data file.
public struct IndexEntry: Sendable, Hashable {
    /// Bytes per entry on disk.
    public static let size = 32
    /// Flag bit: this record is the last of its batch.
    public static let batchEndFlag: UInt32 = 1

    /// Byte position of the record's size prefix in the segment's data file.
    public var position: UInt64
    /// Append time in nanoseconds since the Unix epoch. Never decreases along a log.
    public var timestamp: Int64
    /// Payload length in bytes (without the 8-byte size prefix).
    public var length: UInt32
    /// CRC32C of the payload.
    public var checksum: UInt32
    /// Flag bits; see ``batchEndFlag``.
    public var flags: UInt32

    /// Creates an entry.
    public init(position: UInt64, timestamp: Int64, length: UInt32, checksum: UInt32, flags: UInt32) {
        self.position = position
        self.timestamp = timestamp
        self.length = length
        self.checksum = checksum
        self.flags = flags
    }

    /// Whether this record closes its batch.
    public var isBatchEnd: Bool { flags & Self.batchEndFlag != 0 }

    /// The byte position just past this record in the data file.
    public var endPosition: UInt64 { position + UInt64(RecordFraming.headerSize) + UInt64(length) }

    /// Encodes the entry into `buffer` at `offset`, including its own checksum.
    @inline(__always)
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeBytes(of: position.littleEndian, toByteOffset: offset, as: UInt64.self)
        buffer.storeBytes(of: timestamp.littleEndian, toByteOffset: offset + 8, as: Int64.self)
        buffer.storeBytes(of: length.littleEndian, toByteOffset: offset + 16, as: UInt32.self)
        buffer.storeBytes(of: checksum.littleEndian, toByteOffset: offset + 20, as: UInt32.self)
        buffer.storeBytes(of: flags.littleEndian, toByteOffset: offset + 24, as: UInt32.self)
        let entryChecksum = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + 28)]))
        buffer.storeBytes(of: entryChecksum.littleEndian, toByteOffset: offset + 28, as: UInt32.self)
    }

    /// Decodes the entry at `offset`, or returns nil when its own checksum does not match
    /// (a torn, zero-filled or overwritten entry).
    @inline(__always)
    public static func decode(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> IndexEntry? {
        let stored = RecordFraming.loadUInt32(buffer, at: offset + 28)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + 28)]))
        guard stored == computed else { return nil }
        return IndexEntry(
            position: RecordFraming.loadUInt64(buffer, at: offset),
            timestamp: Int64(bitPattern: RecordFraming.loadUInt64(buffer, at: offset + 8)),
            length: RecordFraming.loadUInt32(buffer, at: offset + 16),
            checksum: RecordFraming.loadUInt32(buffer, at: offset + 20),
            flags: RecordFraming.loadUInt32(buffer, at: offset + 24)
        )
    }

    /// Reads the timestamp of the entry at `offset` without checking it (for binary searches
    /// over entries that recovery has already validated).
    @inline(__always)
    static func timestamp(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> Int64 {
        Int64(bitPattern: RecordFraming.loadUInt64(buffer, at: offset + 8))
    }
}
