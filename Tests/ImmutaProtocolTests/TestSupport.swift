import ImmutaProtocol
import ImmutaTestSupport
import NIOCore

/// The maximum frame length the daemon announces by default (16 MiB + 64 KiB).
let defaultMaxFrameLength = (16 << 20) + (64 << 10)

/// A buffer holding `bytes`.
func buffer(_ bytes: some Sequence<UInt8>) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writeBytes(Array(bytes))
    return buffer
}

/// A frame as bytes on the wire.
func wireBytes(_ frame: Frame) -> ByteBuffer {
    var out = ByteBuffer()
    frame.encode(into: &out)
    return out
}

/// Encodes `frame`, decodes it again with the frame decoder, and checks nothing is left over.
func throughWire(_ frame: Frame) throws -> Frame {
    var bytes = wireBytes(frame)
    let decoded = try FrameDecoder.decodeFrame(from: &bytes, maxFrameLength: defaultMaxFrameLength)
    guard let decoded, bytes.readableBytes == 0 else {
        throw TestFailure("the frame did not decode from exactly its own bytes")
    }
    return decoded
}

/// A frame with a hand-written body.
func rawFrame(_ opcode: Opcode, requestID: UInt32 = 7, body: [UInt8]) -> Frame {
    Frame(opcode: opcode, requestID: requestID, body: buffer(body))
}

/// The lengths to cut a body of `count` bytes to: all of them for bodies up to 4 KiB; for larger
/// ones (whose middle is one long payload, where every cut is alike) the first and last 512 and
/// every 61st in between.
func cutPositions(_ count: Int) -> [Int] {
    guard count > 4096 else { return Array(0..<count) }
    return Array(0..<512) + Array(stride(from: 512, to: count - 512, by: 61)) + Array((count - 512)..<count)
}

/// Records in the seed format: u64 LE size, then the payload, back to back.
func seedRecords(_ payloads: [[UInt8]]) -> ByteBuffer {
    var out = ByteBuffer()
    for payload in payloads {
        out.writeInteger(UInt64(payload.count), endianness: .little)
        out.writeBytes(payload)
    }
    return out
}

/// Lower-case hex of the readable bytes.
func hex(_ buffer: ByteBuffer) -> String {
    buffer.readableBytesView.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}

/// Bytes from a hex string (spaces allowed).
func bytes(hex text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// A failure inside a test helper.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// CRC32C (Castagnoli), bit by bit: reflected polynomial 0x82F63B78, initial value and final XOR
/// 0xFFFFFFFF. Slow and obviously correct, as a client in another language would write it.
func crc32c(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return crc ^ 0xFFFF_FFFF
}

/// One 32-byte index entry as on disk, with its own CRC32C over the first 28 bytes.
func indexEntry(position: UInt64, timestamp: Int64, length: UInt32, checksum: UInt32, flags: UInt32) -> [UInt8] {
    var entry = ByteBuffer()
    entry.writeInteger(position, endianness: .little)
    entry.writeInteger(timestamp, endianness: .little)
    entry.writeInteger(length, endianness: .little)
    entry.writeInteger(checksum, endianness: .little)
    entry.writeInteger(flags, endianness: .little)
    entry.writeInteger(crc32c(entry.readableBytesView), endianness: .little)
    return Array(entry.readableBytesView)
}

/// Builds the index and data parts of a RECORDS or DELIVERY body exactly as the server sends them
/// from a segment: 32-byte index entries whose positions are file positions starting at
/// `basePosition`, and the seed-format records.
func recordsParts(
    _ payloads: [[UInt8]], basePosition: UInt64 = 4096, timestamp: Int64 = 1_700_000_000_000_000_000,
    batchEnds: Set<Int>? = nil
) -> (index: ByteBuffer, data: ByteBuffer) {
    var index = ByteBuffer()
    var position = basePosition
    for (i, payload) in payloads.enumerated() {
        let isEnd = batchEnds?.contains(i) ?? (i == payloads.count - 1)
        index.writeBytes(
            indexEntry(
                position: position, timestamp: timestamp, length: UInt32(payload.count), checksum: crc32c(payload),
                flags: isEnd ? 1 : 0))
        position += 8 + UInt64(payload.count)
    }
    return (index, seedRecords(payloads))
}

/// One record as a client reconstructs it from a RECORDS or DELIVERY body.
struct VerifiedRecord: Equatable {
    var offset: UInt64
    var timestamp: Int64
    var isBatchEnd: Bool
    var payload: [UInt8]
}

/// The client-side check PROTOCOL.md prescribes, written from the document: every index entry's
/// own CRC, the size prefix against the entry's length, and the payload's CRC32C.
func verifyRecords(_ header: WireRecordsHeader, index: ByteBuffer, data: ByteBuffer) throws -> [VerifiedRecord] {
    guard index.readableBytes == Int(header.count) * 32 else { throw TestFailure("index part has the wrong size") }
    var records: [VerifiedRecord] = []
    var index = index
    var firstPosition: UInt64?
    var expectedDataOffset = 0
    for i in 0..<Int(header.count) {
        let entryBytes = index.readBytes(length: 32)!
        var entry = buffer(entryBytes)
        let position: UInt64 = entry.readInteger(endianness: .little)!
        let timestamp: Int64 = entry.readInteger(endianness: .little)!
        let length: UInt32 = entry.readInteger(endianness: .little)!
        let checksum: UInt32 = entry.readInteger(endianness: .little)!
        let flags: UInt32 = entry.readInteger(endianness: .little)!
        let entryCRC: UInt32 = entry.readInteger(endianness: .little)!
        guard crc32c(entryBytes[0..<28]) == entryCRC else { throw TestFailure("entry \(i): entry_crc mismatch") }
        let base = firstPosition ?? position
        firstPosition = base
        guard position >= base, Int(position - base) == expectedDataOffset else {
            throw TestFailure("entry \(i): position does not follow the previous record")
        }
        let at = Int(position - base)
        guard let size = data.getInteger(at: data.readerIndex + at, endianness: .little, as: UInt64.self),
            size == UInt64(length)
        else { throw TestFailure("entry \(i): size prefix does not match length") }
        guard let payload = data.getBytes(at: data.readerIndex + at + 8, length: Int(length)) else {
            throw TestFailure("entry \(i): payload runs past the data part")
        }
        guard crc32c(payload) == checksum else { throw TestFailure("entry \(i): payload crc32c mismatch") }
        records.append(
            VerifiedRecord(
                offset: header.firstOffset + UInt64(i), timestamp: timestamp, isBatchEnd: flags & 1 != 0,
                payload: payload))
        expectedDataOffset = at + 8 + Int(length)
    }
    guard expectedDataOffset == data.readableBytes else { throw TestFailure("data part has extra bytes") }
    return records
}
