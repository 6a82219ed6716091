/// One batch an idempotent producer stored: which producer, its sequence number, where the batch
/// landed, and a checksum of its bytes. These are the records of a topic's producer-state log
/// (`TOPIC/producers/`), 40 bytes each, little-endian:
///
/// ```
///  0           8          16            24      28         32          40
///  +-----------+----------+-------------+-------+----------+-----------+
///  |producer id|sequence  |first offset |count  |batch crc |timestamp  |
///  +-----------+----------+-------------+-------+----------+-----------+
/// ```
public struct ProducerEntry: Sendable, Hashable {
    /// Bytes per entry.
    public static let size = 40

    /// The producer's id, chosen by the client.
    public var producerID: UInt64
    /// The batch's sequence number in this producer's stream of batches to the topic.
    public var sequence: UInt64
    /// The offset the batch's first record received.
    public var firstOffset: UInt64
    /// The number of records in the batch.
    public var count: UInt32
    /// CRC32C of the batch as it is stored (size prefixes and payloads, back to back).
    public var batchChecksum: UInt32
    /// When the batch was stored (nanoseconds since the Unix epoch); idle producers expire by it.
    public var timestamp: Int64

    public init(producerID: UInt64, sequence: UInt64, firstOffset: UInt64, count: UInt32, batchChecksum: UInt32, timestamp: Int64) {
        self.producerID = producerID
        self.sequence = sequence
        self.firstOffset = firstOffset
        self.count = count
        self.batchChecksum = batchChecksum
        self.timestamp = timestamp
    }

    /// The offset after the batch.
    public var nextOffset: UInt64 { firstOffset + UInt64(count) }

    /// The entry in the record format (8-byte size prefix, then the 40 bytes).
    func framed() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: RecordFraming.headerSize + Self.size)
        bytes.withUnsafeMutableBytes { raw in
            RecordFraming.storeUInt64(UInt64(Self.size), into: raw, at: 0)
            RecordFraming.storeUInt64(producerID, into: raw, at: 8)
            RecordFraming.storeUInt64(sequence, into: raw, at: 16)
            RecordFraming.storeUInt64(firstOffset, into: raw, at: 24)
            raw.storeBytes(of: count.littleEndian, toByteOffset: 32, as: UInt32.self)
            raw.storeBytes(of: batchChecksum.littleEndian, toByteOffset: 36, as: UInt32.self)
            RecordFraming.storeUInt64(UInt64(bitPattern: timestamp), into: raw, at: 40)
        }
        return bytes
    }

    /// Decodes a 40-byte payload, or nil when it has another size.
    static func decode(_ payload: ArraySlice<UInt8>) -> ProducerEntry? {
        guard payload.count == size else { return nil }
        return Array(payload).withUnsafeBytes { raw in
            ProducerEntry(
                producerID: RecordFraming.loadUInt64(raw, at: 0), sequence: RecordFraming.loadUInt64(raw, at: 8),
                firstOffset: RecordFraming.loadUInt64(raw, at: 16), count: RecordFraming.loadUInt32(raw, at: 24),
                batchChecksum: RecordFraming.loadUInt32(raw, at: 28),
                timestamp: Int64(bitPattern: RecordFraming.loadUInt64(raw, at: 32)))
        }
    }
}
