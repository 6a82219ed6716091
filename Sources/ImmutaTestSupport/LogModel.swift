import ImmutaStorage

/// A record as a test expects to read it back.
public struct ModelRecord: Sendable, Hashable, CustomStringConvertible {
    public var offset: UInt64
    public var timestamp: Int64
    public var payload: [UInt8]

    public init(offset: UInt64, timestamp: Int64, payload: [UInt8]) {
        self.offset = offset
        self.timestamp = timestamp
        self.payload = payload
    }

    public init(_ record: Record) {
        self.init(offset: record.offset, timestamp: record.timestamp, payload: record.payload)
    }

    public var description: String { "#\(offset)@\(timestamp)[\(payload.count) bytes]" }
}

/// A batch as it was appended.
public struct ModelBatch: Sendable, Hashable {
    public var firstOffset: UInt64
    public var timestamp: Int64
    public var payloads: [[UInt8]]

    public var count: Int { payloads.count }
    public var nextOffset: UInt64 { firstOffset + UInt64(payloads.count) }
    public var records: [ModelRecord] {
        payloads.enumerated().map { ModelRecord(offset: firstOffset + UInt64($0.offset), timestamp: timestamp, payload: $0.element) }
    }
    /// Bytes the batch takes in a data file.
    public var framedSize: Int { payloads.reduce(0) { $0 + 8 + $1.count } }
}

/// What a log should hold: every batch appended, in order. Tests append through the model and
/// compare the log with it after whatever they did to the files.
public struct LogModel: Sendable {
    public var batches: [ModelBatch] = []

    public init() {}

    public var records: [ModelRecord] { batches.flatMap(\.records) }
    public var nextOffset: UInt64 { batches.last?.nextOffset ?? 0 }

    /// Appends `payloads` as one batch (with `timestamp` when given) and records it.
    @discardableResult
    public mutating func append(_ payloads: [[UInt8]], to log: RecordLog, timestamp: Int64? = nil) throws -> AppendResult {
        let framed = Payloads.framed(payloads)
        let result = try framed.withUnsafeBytes { try log.append(framed: $0, timestamp: timestamp) }
        batches.append(ModelBatch(firstOffset: result.firstOffset, timestamp: result.timestamp, payloads: payloads))
        return result
    }
}

/// Every record from `offset` to the log's end, read in chunks of at most `chunk` records.
public func readAll(_ log: RecordLog, from offset: UInt64? = nil, chunk: Int = 1000) throws -> [ModelRecord] {
    var next = offset ?? log.bounds.earliestOffset
    let end = log.bounds.nextOffset
    var records: [ModelRecord] = []
    while next < end {
        let batch = try log.read(from: next, maxRecords: chunk, maxBytes: 1 << 24)
        precondition(!batch.isEmpty, "read(from: \(next)) returned nothing before the end \(end)")
        records += batch.records.map(ModelRecord.init)
        next = batch.nextOffset
    }
    return records
}

/// The two files of one segment.
public struct SegmentFiles: Sendable, Hashable {
    public var baseOffset: UInt64
    public var dataPath: String
    public var indexPath: String
    public var dataName: String { String(dataPath.split(separator: "/").last!) }
    public var indexName: String { String(indexPath.split(separator: "/").last!) }
}

/// The segments in a log directory, oldest first (by their data or index file).
public func segmentFiles(in directory: String) throws -> [SegmentFiles] {
    var bases = Set<UInt64>()
    for name in try TestFiles.list(directory) {
        if let base = SegmentNames.baseOffset(of: name, extension: SegmentNames.dataExtension) { bases.insert(base) }
        if let base = SegmentNames.baseOffset(of: name, extension: SegmentNames.indexExtension) { bases.insert(base) }
    }
    return bases.sorted().map { base in
        let stem = directory + "/" + SegmentNames.stem(base)
        return SegmentFiles(baseOffset: base, dataPath: stem + SegmentNames.dataExtension, indexPath: stem + SegmentNames.indexExtension)
    }
}
