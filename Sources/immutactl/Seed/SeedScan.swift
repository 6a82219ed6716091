import ImmutaStorage

/// What a check of a whole seed-format file found: its layout and where its records are.
struct SeedScan {
    var layout: SeedLayout
    /// Where the first record's size prefix is (16 for the header layout).
    var dataStart: UInt64
    var records: UInt64
    /// The largest payload, and where its record starts, to name it if the topic's limit is lower.
    var largestPayload: UInt64 = 0
    var largestPosition: UInt64 = 0
}

/// The first thing wrong with a seed file, with the byte position of the record it is in.
struct SeedProblem: Error, CustomStringConvertible {
    var position: UInt64
    var reason: String
    var description: String { "at byte \(position): \(reason)" }
}

/// Checks seed-format files without reading them into memory: only each record's 8-byte size
/// prefix is read; a payload's presence follows from the file's size.
enum SeedScanner {
    /// Works out the layout (as the offline import does: the header layout when the first 16 bytes
    /// are a count and a last-record position that match the records after them, and the file is
    /// not also a valid plain file of empty records) and checks every record.
    static func scan(_ source: SeedSource, layout: SeedLayout?, maxPayload: UInt64) throws -> SeedScan {
        if layout == .header { return try scanHeaderLayout(source, maxPayload: maxPayload) }
        let header = layout == .plain ? nil : try? scanHeaderLayout(source, maxPayload: maxPayload)
        do {
            let plain = try scanRecords(source, from: 0, maxPayload: maxPayload, layout: .plain)
            if let header, header.records > 0 { return header }
            return plain
        } catch let problem as SeedProblem {
            if let header { return header }
            throw CLIError("\(source.name) is not a valid seed file \(problem)" + (layout == nil ? " (read as the plain layout; the 16-byte-header layout does not fit either)" : ""))
        }
    }

    private static func scanHeaderLayout(_ source: SeedSource, maxPayload: UInt64) throws -> SeedScan {
        let start = UInt64(SeedFormat.headerSize)
        guard source.size >= start else {
            throw CLIError("\(source.name) is not a valid header-layout seed file: it is \(source.size) bytes, shorter than the 16-byte header")
        }
        let bytes = try source.read(SeedFormat.headerSize, at: 0)
        let (declared, declaredLast) = bytes.withUnsafeBytes { (RecordFraming.loadUInt64($0, at: 0), RecordFraming.loadUInt64($0, at: 8)) }
        var lastStart: UInt64 = 0
        let scan: SeedScan
        do {
            scan = try scanRecords(source, from: start, maxPayload: maxPayload, layout: .header) { lastStart = $0 }
        } catch let problem as SeedProblem {
            throw CLIError("\(source.name) is not a valid header-layout seed file \(problem)")
        }
        guard scan.records == declared else {
            throw CLIError("\(source.name) is not a valid header-layout seed file: its header declares \(declared) records but it holds \(scan.records)")
        }
        guard declaredLast == lastStart else {
            throw CLIError("\(source.name) is not a valid header-layout seed file: its header puts the last record at byte \(declaredLast), but it starts at byte \(lastStart)")
        }
        return scan
    }

    /// Walks the records from `start` to the end of the file.
    static func scanRecords(
        _ source: SeedSource, from start: UInt64, maxPayload: UInt64, layout: SeedLayout,
        eachRecord: (UInt64) -> Void = { _ in }
    ) throws -> SeedScan {
        var scan = SeedScan(layout: layout, dataStart: start, records: 0)
        var reader = SizePrefixReader(source: source)
        var position = start
        while position < source.size {
            let recordNumber = scan.records
            guard source.size - position >= UInt64(RecordFraming.headerSize) else {
                throw SeedProblem(position: position, reason: "record \(recordNumber) is cut short: \(source.size - position) of its 8-byte size prefix")
            }
            let size = try reader.size(at: position)
            guard size <= maxPayload else {
                throw SeedProblem(position: position, reason: "record \(recordNumber) declares \(size) bytes, more than the \(maxPayload) allowed")
            }
            let end = position + UInt64(RecordFraming.headerSize) + size
            guard end <= source.size else {
                throw SeedProblem(position: position, reason: "record \(recordNumber) declares \(size) bytes, but the file ends \(source.size - position - 8) bytes into it")
            }
            if size > scan.largestPayload || scan.records == 0 {
                scan.largestPayload = size
                scan.largestPosition = position
            }
            eachRecord(position)
            scan.records += 1
            position = end
        }
        return scan
    }
}

/// Reads size prefixes through a 1 MiB window, so a file of small records costs one read per
/// window rather than one per record.
struct SizePrefixReader {
    let source: SeedSource
    private var window: [UInt8] = []
    private var windowStart: UInt64 = 0

    init(source: SeedSource) { self.source = source }

    mutating func size(at position: UInt64) throws -> UInt64 {
        let header = UInt64(RecordFraming.headerSize)
        if position < windowStart || position + header > windowStart + UInt64(window.count) {
            window = try source.read(1 << 20, at: position)
            windowStart = position
        }
        return window.withUnsafeBytes { RecordFraming.loadUInt64($0, at: Int(position - windowStart)) }
    }
}
