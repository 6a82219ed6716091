import Immuta
import ImmutaProtocol
import ImmutaStorage
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// `immutactl export TOPIC [FILE|-]` with immutad running: the records from --from up to the
/// topic's end when the export starts (or --to), read through the daemon while producers keep
/// appending, written in the seed format. A regular file is written under a temporary name and
/// renamed over FILE once complete and flushed, so FILE is never seen half written.
struct OnlineExport {
    var topic: String
    var file: String
    var from: UInt64?
    var to: UInt64?
    var layout: SeedLayout
    var connection: ConnectionOptions

    func run() async throws -> String {
        try await ImmutaClient.with(connection) { client in
            let info = try await client.describeTopic(topic)
            let first = from ?? info.earliestOffset
            let end = to ?? info.nextOffset
            guard first >= info.earliestOffset, end <= info.nextOffset, first <= end else {
                throw CLIError(
                    "offsets \(first)..<\(end) are outside topic \(topic), which holds \(info.earliestOffset)..<\(info.nextOffset)")
            }
            let reader = SnapshotReader(client: client, topic: topic, range: first..<end)
            let output = try ExportTarget(file)
            do {
                var header: (count: UInt64, lastRecordPosition: UInt64)?
                if layout == .header && !output.isSeekable {
                    // A stream cannot be rewound to fill the header in: measure the records first.
                    header = try await reader.measure()
                }
                if layout == .header { try output.writer.write(SeedHeader.bytes(header ?? (0, 0))) }
                // Shown when the records go to a file, not to a terminal or a pipe's reader.
                let progress = Progress(
                    "export \(topic)", totalRecords: end - first, quiet: !output.isSeekable && !Progress.isRegularFile(STDOUT_FILENO))
                defer { progress.finish() }
                let measured = try await reader.copy(
                    to: output.writer, startingAt: layout == .header ? UInt64(SeedFormat.headerSize) : 0, progress: progress)
                try output.finish(header: layout == .header ? SeedHeader.bytes(measured) : nil)
            } catch {
                output.abandon()
                throw error
            }
            let offsets = end == first ? "no records" : end - first == 1 ? "offset \(first)" : "offsets \(first)..\(end - 1)"
            return "exported \(end - first == 1 ? "1 record" : "\(end - first) records") of \(topic) (\(offsets)) to \(output.name) (\(layout.rawValue) layout)"
        }
    }
}

/// The 16-byte header of the seed's later layout.
enum SeedHeader {
    static func bytes(_ header: (count: UInt64, lastRecordPosition: UInt64)) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: SeedFormat.headerSize)
        bytes.withUnsafeMutableBytes { raw in
            RecordFraming.storeUInt64(header.count, into: raw, at: 0)
            RecordFraming.storeUInt64(header.count == 0 ? 0 : header.lastRecordPosition, into: raw, at: 8)
        }
        return bytes
    }
}

/// Reads a fixed range of offsets through FETCH. The range ends at the topic's end when the export
/// began, so records appended meanwhile are not part of it; retention removing records of the
/// range before they are read is an error, not a silent gap.
struct SnapshotReader {
    let client: ImmutaClient
    let topic: String
    let range: Range<UInt64>

    /// Each record in the range, in order.
    func forEach(_ body: (ImmutaRecord) throws -> Void) async throws {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let batch: FetchResult
            do {
                batch = try await client.fetch(topic, from: .offset(offset), maxRecords: 4096, maxBytes: 1 << 20)
            } catch let error as ImmutaError where error.code == .offsetOutOfRange {
                throw CLIError("offset \(offset) of \(topic) is gone (retention removed it during the export); export from a later --from: \(error.message)")
            }
            guard let firstRecord = batch.records.first, firstRecord.offset == offset else {
                throw CLIError("offset \(offset) of \(topic) is gone (retention removed it during the export); export from a later --from")
            }
            for record in batch.records where record.offset < range.upperBound { try body(record) }
            offset = batch.nextOffset
        }
    }

    /// The header of the records, measured by reading them once.
    func measure() async throws -> (count: UInt64, lastRecordPosition: UInt64) {
        var position = UInt64(SeedFormat.headerSize)
        var last: UInt64 = 0
        var count: UInt64 = 0
        try await forEach { record in
            last = position
            position += UInt64(RecordFraming.headerSize + record.payload.readableBytes)
            count += 1
        }
        return (count, last)
    }

    /// Writes the records in the seed format, returning their header.
    func copy(to writer: OutputWriter, startingAt start: UInt64, progress: Progress) async throws
        -> (count: UInt64, lastRecordPosition: UInt64)
    {
        var position = start
        var last: UInt64 = 0
        var count: UInt64 = 0
        var prefix = [UInt8](repeating: 0, count: RecordFraming.headerSize)
        try await forEach { record in
            prefix.withUnsafeMutableBytes { RecordFraming.storeUInt64(UInt64(record.payload.readableBytes), into: $0, at: 0) }
            try writer.write(prefix)
            try record.payload.withUnsafeReadableBytes { try writer.write($0) }
            last = position
            position += UInt64(RecordFraming.headerSize + record.payload.readableBytes)
            count += 1
            progress.add(records: 1, bytes: RecordFraming.headerSize + record.payload.readableBytes)
        }
        return (count, last)
    }
}
