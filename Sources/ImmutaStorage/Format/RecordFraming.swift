/// The seed record format, shared byte for byte with the original immuta library:
/// an 8-byte little-endian payload size, then the payload. Records sit back to back.
public enum RecordFraming {
    /// Bytes in the size prefix in front of every payload.
    public static let headerSize = 8

    /// Bytes a payload of `payloadSize` bytes occupies in a data file.
    @inline(__always)
    public static func framedSize(payloadSize: Int) -> Int { headerSize + payloadSize }

    /// Writes a little-endian UInt64 at `offset` in `buffer`.
    @inline(__always)
    package static func storeUInt64(_ value: UInt64, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        buffer.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
    }

    /// Reads a little-endian UInt64 at `offset` in `buffer` (any alignment).
    @inline(__always)
    package static func loadUInt64(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Reads a little-endian UInt32 at `offset` in `buffer` (any alignment).
    @inline(__always)
    static func loadUInt32(_ buffer: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Splits seed-format bytes into payload ranges, checking the framing.
    ///
    /// - Parameters:
    ///   - bytes: records in the seed format, back to back, nothing else.
    ///   - maxPayloadSize: the largest payload allowed.
    /// - Returns: for each record, the range of its payload within `bytes`.
    /// - Throws: ``StorageError/malformedRecords(reason:)`` when a size prefix runs past the end
    ///   or a payload is larger than allowed.
    public static func payloadRanges(
        in bytes: UnsafeRawBufferPointer,
        maxPayloadSize: Int
    ) throws -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var position = 0
        while position < bytes.count {
            guard bytes.count - position >= headerSize else {
                throw StorageError.malformedRecords(
                    reason: "a record's 8-byte size prefix is cut off at byte \(position) of \(bytes.count)")
            }
            let size = loadUInt64(bytes, at: position)
            guard size <= UInt64(maxPayloadSize) else {
                throw StorageError.recordTooLarge(size: size, limit: UInt64(maxPayloadSize))
            }
            let start = position + headerSize
            guard UInt64(bytes.count - start) >= size else {
                throw StorageError.malformedRecords(
                    reason: "the record at byte \(position) declares \(size) payload bytes but only \(bytes.count - start) follow")
            }
            ranges.append(start..<(start + Int(size)))
            position = start + Int(size)
        }
        return ranges
    }
}
