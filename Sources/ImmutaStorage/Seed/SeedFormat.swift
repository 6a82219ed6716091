import SystemPackage

/// The two file layouts of the original immuta library.
public enum SeedLayout: String, Sendable, Hashable, CaseIterable {
    /// Records back to back: an 8-byte little-endian payload size, then the payload.
    case plain
    /// A 16-byte header first: the record count and the byte position of the last record's size
    /// prefix (both little-endian UInt64; the position is 0 for an empty file), then plain records.
    case header
}

/// Import of seed-format files into a log, and export of a log's records back to one.
public enum SeedFormat {
    /// Header bytes of the ``SeedLayout/header`` layout.
    public static let headerSize = 16

    /// Result of an import.
    public struct ImportResult: Sendable, Hashable {
        /// The layout the file had.
        public var layout: SeedLayout
        /// Records appended.
        public var records: UInt64
        /// Offset of the first imported record (the log's next offset when the file was empty).
        public var firstOffset: UInt64
    }

    /// Works out a file's layout from its contents: a file is the header layout when its first 16
    /// bytes hold a count that matches the records that follow; else it must parse as plain records.
    public static func detectLayout(_ bytes: UnsafeRawBufferPointer, maxPayload: UInt64) throws -> SeedLayout {
        if bytes.count >= headerSize {
            let declared = RecordFraming.loadUInt64(bytes, at: 0)
            let rest = UnsafeRawBufferPointer(rebasing: bytes[headerSize...])
            if let walked = try? RecordLog.countRecords(rest, maxPayload: maxPayload), UInt64(walked) == declared {
                if (try? RecordLog.countRecords(bytes, maxPayload: maxPayload)) == nil || declared > 0 { return .header }
            }
        }
        do {
            _ = try RecordLog.countRecords(bytes, maxPayload: maxPayload)
            return .plain
        } catch {
            throw StorageError.malformedRecords(reason: "the file is neither plain seed records nor the 16-byte-header layout: \(error)")
        }
    }

    /// Appends the records of a seed-format file to `log`, in batches of about `batchBytes`.
    /// Records are written as they are in the file; each batch is atomic.
    ///
    /// - Parameter layout: the file's layout, or nil to detect it.
    public static func importFile(
        _ path: String, into log: RecordLog, layout: SeedLayout? = nil, batchBytes: Int = 4 << 20
    ) throws -> ImportResult {
        let bytes = try FileIO.readAll(path)
        let maxPayload = log.configuration.maxRecordBytes
        return try bytes.withUnsafeBytes { raw in
            let layout = try layout ?? detectLayout(raw, maxPayload: maxPayload)
            var position = layout == .header ? headerSize : 0
            guard raw.count >= position else {
                throw StorageError.malformedRecords(reason: "\(path) is shorter than its 16-byte header")
            }
            if layout == .header {
                let declared = RecordFraming.loadUInt64(raw, at: 0)
                let walked = try RecordLog.countRecords(UnsafeRawBufferPointer(rebasing: raw[headerSize...]), maxPayload: maxPayload)
                guard UInt64(walked) == declared else {
                    throw StorageError.malformedRecords(reason: "\(path) declares \(declared) records but holds \(walked)")
                }
            }
            let first = log.bounds.nextOffset
            var records: UInt64 = 0
            while position < raw.count {
                var end = position
                while end < raw.count {
                    guard raw.count - end >= RecordFraming.headerSize else { break }
                    let next = end + RecordFraming.headerSize + Int(RecordFraming.loadUInt64(raw, at: end))
                    if end > position && next - position > batchBytes { break }
                    end = next
                }
                let result = try log.append(framed: UnsafeRawBufferPointer(rebasing: raw[position..<end]))
                records += result.count
                position = end
            }
            return ImportResult(layout: layout, records: records, firstOffset: first)
        }
    }

    /// Writes the records in `offsets` of `log` to `path` in the seed format, checking every
    /// checksum on the way. Records come out byte for byte as they went in.
    ///
    /// - Returns: the number of records written.
    @discardableResult
    public static func export(
        _ log: RecordLog, offsets: Range<UInt64>, to path: String, layout: SeedLayout = .plain
    ) throws -> UInt64 {
        let fd = try FileIO.open(path, create: true)
        defer { try? fd.close() }
        try FileIO.truncate(fd, to: 0, path: path)
        var position: UInt64 = layout == .header ? UInt64(headerSize) : 0
        var lastRecordPosition: UInt64 = 0
        var offset = offsets.lowerBound
        var written: UInt64 = 0
        while offset < offsets.upperBound {
            let batch = try log.read(from: offset, maxRecords: Int(min(offsets.upperBound - offset, 100_000)), maxBytes: 4 << 20)
            guard !batch.isEmpty else { throw StorageError.offsetBeyondEnd(offset: offset, next: log.bounds.nextOffset) }
            let take = Int(min(UInt64(batch.count), offsets.upperBound - offset))
            let length = Int(batch.entries[take - 1].endPosition - batch.basePosition)
            try batch.framed.withUnsafeBytes { raw in
                try FileIO.write(fd, UnsafeRawBufferPointer(rebasing: raw[0..<length]), at: position, path: path)
            }
            lastRecordPosition = position + (batch.entries[take - 1].position - batch.basePosition)
            position += UInt64(length)
            offset += UInt64(take)
            written += UInt64(take)
        }
        if layout == .header {
            var header = [UInt8](repeating: 0, count: headerSize)
            header.withUnsafeMutableBytes { raw in
                RecordFraming.storeUInt64(written, into: raw, at: 0)
                RecordFraming.storeUInt64(lastRecordPosition, into: raw, at: 8)
            }
            try header.withUnsafeBytes { try FileIO.write(fd, $0, at: 0, path: path) }
        }
        try FileIO.dataSync(fd, path: path)
        return written
    }
}
