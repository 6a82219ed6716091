import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

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
    /// bytes hold a count and a last-record position that match the records that follow; else it
    /// must parse as plain records. (16 zero bytes, which are both an empty header file and two
    /// empty plain records, count as plain: pass the layout to import an empty header file.)
    public static func detectLayout(_ bytes: UnsafeRawBufferPointer, maxPayload: UInt64) throws -> SeedLayout {
        // Both header fields must match (not just the count): a plain file whose first record has an
        // 8-byte payload followed by that many records would otherwise pass for a header file.
        if headerProblem(bytes, maxPayload: maxPayload) == nil {
            let declared = RecordFraming.loadUInt64(bytes, at: 0)
            if (try? RecordLog.countRecords(bytes, maxPayload: maxPayload)) == nil || declared > 0 { return .header }
        }
        do {
            _ = try RecordLog.countRecords(bytes, maxPayload: maxPayload)
            return .plain
        } catch {
            throw StorageError.malformedRecords(reason: "the file is neither plain seed records nor the 16-byte-header layout: \(error)")
        }
    }

    /// Why `bytes` is not a consistent header-layout file, or nil when it is: the records after the
    /// header parse, there are as many as the header declares, and the last one's size prefix is at
    /// the byte position the header gives (0 when there are none), as the original library's Verify
    /// requires.
    static func headerProblem(_ bytes: UnsafeRawBufferPointer, maxPayload: UInt64) -> String? {
        guard bytes.count >= headerSize else { return "it is shorter than the 16-byte header" }
        let ranges: [Range<Int>]
        do {
            ranges = try RecordFraming.payloadRanges(
                in: UnsafeRawBufferPointer(rebasing: bytes[headerSize...]), maxPayloadSize: Int(maxPayload))
        } catch {
            return "\(error)"
        }
        let declared = RecordFraming.loadUInt64(bytes, at: 0)
        guard UInt64(ranges.count) == declared else { return "it declares \(declared) records but holds \(ranges.count)" }
        let last = ranges.last.map { UInt64(headerSize + $0.lowerBound - RecordFraming.headerSize) } ?? 0
        let declaredLast = RecordFraming.loadUInt64(bytes, at: 8)
        guard declaredLast == last else {
            return "its header puts the last record at byte \(declaredLast), but that record starts at byte \(last)"
        }
        return nil
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
            // Check the whole file before appending anything, whatever the layout (also one given by
            // the caller): a malformed file imports nothing, and the batching below never runs past
            // the end of the bytes.
            if layout == .header {
                if let problem = headerProblem(raw, maxPayload: maxPayload) {
                    throw StorageError.malformedRecords(reason: "\(path) is not a valid 16-byte-header seed file: \(problem)")
                }
            } else {
                do { _ = try RecordLog.countRecords(raw, maxPayload: maxPayload) } catch {
                    throw StorageError.malformedRecords(reason: "\(path) is not a valid plain seed file: \(error)")
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
        if path == "-" {
            return try export(log, offsets: offsets, toStream: FileDescriptor.standardOutput, path: "standard output", layout: layout)
        }
        let fd = try FileIO.open(path, create: true)
        defer { try? fd.close() }
        var info = stat()
        if fstat(fd.rawValue, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            // A pipe, a terminal, /dev/stdout: written in order, with nothing to truncate or sync.
            return try export(log, offsets: offsets, toStream: fd, path: path, layout: layout)
        }
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

    /// Export to a stream (standard output, a pipe): the records in order. The header layout's
    /// header comes first, so the records are counted and measured in a pass before.
    static func export(
        _ log: RecordLog, offsets: Range<UInt64>, toStream fd: FileDescriptor, path: String, layout: SeedLayout
    ) throws -> UInt64 {
        if layout == .header {
            var (count, lastRecordPosition): (UInt64, UInt64) = (0, 0)
            var position = UInt64(headerSize)
            try forEachBatch(log, offsets) { raw, lastStart in
                lastRecordPosition = position + UInt64(lastStart)
                position += UInt64(raw.count)
            } counting: { count += UInt64($0) }
            var header = [UInt8](repeating: 0, count: headerSize)
            header.withUnsafeMutableBytes { raw in
                RecordFraming.storeUInt64(count, into: raw, at: 0)
                RecordFraming.storeUInt64(count == 0 ? 0 : lastRecordPosition, into: raw, at: 8)
            }
            try write(header.withUnsafeBytes { Array($0) }, to: fd, path: path)
        }
        var written: UInt64 = 0
        try forEachBatch(log, offsets) { raw, _ in
            try write(Array(raw), to: fd, path: path)
        } counting: { written += UInt64($0) }
        return written
    }

    /// Reads `offsets` of `log` in batches, checking every checksum: `body` gets each batch's
    /// framed records and where its last record starts in them; `counting` how many it holds.
    private static func forEachBatch(
        _ log: RecordLog, _ offsets: Range<UInt64>, _ body: (UnsafeRawBufferPointer, Int) throws -> Void,
        counting: (Int) -> Void
    ) throws {
        var offset = offsets.lowerBound
        while offset < offsets.upperBound {
            let batch = try log.read(from: offset, maxRecords: Int(min(offsets.upperBound - offset, 100_000)), maxBytes: 4 << 20)
            guard !batch.isEmpty else { throw StorageError.offsetBeyondEnd(offset: offset, next: log.bounds.nextOffset) }
            let take = Int(min(UInt64(batch.count), offsets.upperBound - offset))
            let length = Int(batch.entries[take - 1].endPosition - batch.basePosition)
            let lastStart = Int(batch.entries[take - 1].position - batch.basePosition)
            try batch.framed.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[0..<length]), lastStart) }
            counting(take)
            offset += UInt64(take)
        }
    }

    private static func write(_ bytes: [UInt8], to fd: FileDescriptor, path: String) throws {
        do {
            _ = try bytes.withUnsafeBytes { try fd.writeAll($0) }
        } catch {
            throw StorageError.io(operation: "write", path: path, errno: error as? Errno ?? .ioError)
        }
    }
}
