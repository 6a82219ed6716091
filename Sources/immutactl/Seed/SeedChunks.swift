import ImmutaStorage
import NIOCore

/// The records of a checked seed file in chunks of whole records, each sent as one atomic batch.
struct SeedChunks {
    struct Chunk {
        /// Records in the format PRODUCE carries (the seed's own), ready to send as they are.
        var framed: ByteBuffer
        var count: Int
        /// Where the chunk starts in the file.
        var position: UInt64
    }

    let source: SeedSource
    /// A chunk stops before the record that would take it past this size; a larger record goes
    /// alone (the scan made sure it fits in a frame).
    let batchBytes: UInt64
    private var reader: SizePrefixReader
    private var position: UInt64

    init(_ source: SeedSource, from start: UInt64, batchBytes: Int) {
        self.source = source
        self.batchBytes = UInt64(batchBytes)
        reader = SizePrefixReader(source: source)
        position = start
    }

    mutating func next(allocator: ByteBufferAllocator) throws -> Chunk? {
        guard position < source.size else { return nil }
        var end = position
        var count = 0
        while end < source.size {
            let next = end + UInt64(RecordFraming.headerSize) + (try reader.size(at: end))
            if count > 0 && next - position > batchBytes { break }
            end = next
            count += 1
        }
        let bytes = try source.read(Int(end - position), at: position)
        var framed = allocator.buffer(capacity: bytes.count)
        framed.writeBytes(bytes)
        defer { position = end }
        return Chunk(framed: framed, count: count, position: position)
    }
}
