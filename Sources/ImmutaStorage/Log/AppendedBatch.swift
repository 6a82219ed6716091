/// A batch just appended, handed to the readers waiting at the log's end so that they can pass
/// it on from memory.
///
/// What it buys: a reader that is caught up sends the new records without reading the file, so
/// the daemon needs no hop to a worker thread (where file reads belong) and back. On a small
/// machine each hop between threads costs tens of microseconds, most of a record's end-to-end
/// latency. Only small batches are kept, and only while readers wait, so memory stays bounded by
/// ``maxBytes`` per append in flight.
public struct AppendedBatch: Sendable {
    /// The largest batch (its records' bytes) handed on; larger ones are read from the file.
    public static let maxBytes = 64 << 10

    /// Offset of the first record.
    public let firstOffset: UInt64
    /// Number of records.
    public let count: Int
    /// The records' index entries as on disk (32 bytes each), then the records in seed format:
    /// the same bytes a ``LogSlice`` sends.
    public let indexAndData: [UInt8]
    /// Bytes of the records, without the index entries.
    public let dataLength: Int

    /// The offset after the last record.
    public var nextOffset: UInt64 { firstOffset + UInt64(count) }

    init(firstOffset: UInt64, count: Int, index: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) {
        self.firstOffset = firstOffset
        self.count = count
        self.dataLength = data.count
        var bytes = [UInt8]()
        bytes.reserveCapacity(index.count + data.count)
        bytes.append(contentsOf: index)
        bytes.append(contentsOf: data)
        self.indexAndData = bytes
    }
}
