import ImmutaStorage
import ImmutaTestSupport
import Testing

/// A closed log of a few segments, kept in memory so that each iteration of a damage loop starts
/// from the same files, plus what the log holds, segment by segment.
struct RecoveryFixture {
    struct Segment {
        var base: UInt64
        var dataName: String
        var indexName: String
        var batches: [ModelBatch]
        var data: [UInt8]
        var index: [UInt8]
        /// Position of each record's size prefix in the data file, relative to the segment.
        var positions: [Int]
        /// Position just past each record.
        var ends: [Int] { Array(positions.dropFirst()) + [data.count] }
        var recordCount: Int { positions.count }
        var nextOffset: UInt64 { base + UInt64(recordCount) }
    }

    // fsync: a closed segment cut short is then damage, refused (under `none` it is a power loss
    // before the background flush, and recovery cuts it; see PowerLossTests).
    let configuration = TestLogs.small(durability: .fsync)
    var files: [String: [UInt8]]
    var model: LogModel
    /// `model.records`, computed once.
    let records: [ModelRecord]
    var segments: [Segment]
    var last: Segment { segments[segments.count - 1] }

    /// Three segments; the last one ends with batches of 2, 3, 4 and 3 records.
    init(directory: String) throws {
        let (log, _) = try RecordLog.open(directory: directory, name: "fixture", configuration: configuration)
        model = try TestLogs.fill(log, segments: 3, tailBatches: [2, 3, 4, 3])
        try log.close()
        records = model.records
        files = try TestFiles.snapshot(directory)
        let segmentPaths = try segmentFiles(in: directory)
        segments = []
        for (i, paths) in segmentPaths.enumerated() {
            let end = i + 1 < segmentPaths.count ? segmentPaths[i + 1].baseOffset : model.nextOffset
            let batches = model.batches.filter { $0.firstOffset >= paths.baseOffset && $0.firstOffset < end }
            var positions: [Int] = []
            var position = 0
            for payload in batches.flatMap(\.payloads) {
                positions.append(position)
                position += 8 + payload.count
            }
            segments.append(
                Segment(
                    base: paths.baseOffset, dataName: paths.dataName, indexName: paths.indexName, batches: batches,
                    data: files[paths.dataName]!, index: files[paths.indexName]!, positions: positions))
        }
    }

    /// What recovery must keep of `segment` after its files became `data` and `index`: the complete
    /// batches, from the first, whose index entries and data bytes are all present and unchanged.
    func keptPrefix(of segment: Segment, data: [UInt8], index: [UInt8]) -> (records: Int, dataEnd: Int, batches: Int) {
        var records = 0
        var dataEnd = 0
        var batches = 0
        for batch in segment.batches {
            var position = dataEnd
            var intact = true
            for (j, payload) in batch.payloads.enumerated() {
                let entry = (records + j) * 32..<((records + j + 1) * 32)
                let bytes = position..<(position + 8 + payload.count)
                intact = intact && index.count >= entry.upperBound && index[entry] == segment.index[entry]
                    && data.count >= bytes.upperBound && data[bytes] == segment.data[bytes]
                position = bytes.upperBound
            }
            guard intact else { break }
            records += batch.count
            dataEnd = position
            batches += 1
        }
        return (records, dataEnd, batches)
    }

    /// The index of the record of `segment` whose bytes (size prefix and payload) hold `position`.
    func record(of segment: Segment, containing position: Int) -> Int {
        segment.positions.lastIndex { $0 <= position }!
    }

    /// Opens the damaged log in `directory` and checks that exactly the complete, intact batches
    /// before the damage in segment `damaged` survive (with every later segment gone), with their
    /// bytes and offsets, that the report counts what was dropped, that appends continue at the
    /// right offset and that the result verifies clean.
    func expectRecovery(
        in directory: String, damaged: Int, policy: RecoveryPolicy, _ label: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let segment = segments[damaged]
        let before = try TestFiles.snapshot(directory)
        let data = before[segment.dataName] ?? []
        let index = before[segment.indexName] ?? []
        let kept = keptPrefix(of: segment, data: data, index: index)
        let next = segment.base + UInt64(kept.records)
        let removedLater = segments[(damaged + 1)...].map { directory + "/" + $0.dataName }

        let (log, report) = try RecordLog.open(
            directory: directory, name: "crash log", configuration: configuration, create: false, policy: policy)
        let droppedRecords = UInt64(index.count / 32 - kept.records)
        let droppedIndexBytes = UInt64(index.count - kept.records * 32)
        let droppedDataBytes = UInt64(data.count - kept.dataEnd)
        #expect(report.droppedRecords == droppedRecords, "\(label): dropped records", sourceLocation: sourceLocation)
        #expect(report.droppedIndexBytes == droppedIndexBytes, "\(label): dropped index bytes", sourceLocation: sourceLocation)
        #expect(report.droppedDataBytes == droppedDataBytes, "\(label): dropped data bytes", sourceLocation: sourceLocation)
        #expect(report.removedSegments == removedLater, "\(label): removed segments", sourceLocation: sourceLocation)
        let nothingToRepair = droppedIndexBytes == 0 && droppedDataBytes == 0 && removedLater.isEmpty
        #expect(report.isClean == nothingToRepair, "\(label): \(report.notes)", sourceLocation: sourceLocation)
        #expect(log.bounds.earliestOffset == 0 && log.bounds.nextOffset == next, "\(label): bounds \(log.bounds)", sourceLocation: sourceLocation)
        let survivors = records.filter { $0.offset < next }
        #expect(try readAll(log) == survivors, "\(label): surviving records", sourceLocation: sourceLocation)

        // The repaired files are the intact prefix of the originals, and nothing else changed.
        let after = try TestFiles.snapshot(directory)
        #expect(after[segment.dataName] == Array(segment.data[0..<kept.dataEnd]), "\(label): data file", sourceLocation: sourceLocation)
        #expect(after[segment.indexName] == Array(segment.index[0..<(kept.records * 32)]), "\(label): index file", sourceLocation: sourceLocation)
        for other in segments[..<damaged] {
            #expect(after[other.dataName] == other.data && after[other.indexName] == other.index, "\(label)", sourceLocation: sourceLocation)
        }
        for later in segments[(damaged + 1)...] {
            #expect(after[later.dataName] == nil && after[later.indexName] == nil, "\(label): \(later.dataName) removed", sourceLocation: sourceLocation)
        }

        let appended = try log.append([[0xA5, UInt8(truncatingIfNeeded: kept.records)], [0x5A]])
        #expect(appended.firstOffset == next, "\(label): append after recovery", sourceLocation: sourceLocation)
        #expect(try log.read(from: next).records.map(\.payload) == [[0xA5, UInt8(truncatingIfNeeded: kept.records)], [0x5A]], sourceLocation: sourceLocation)
        try log.close()
        let verified = try LogVerifier.verify(directory: directory)
        #expect(verified.isClean && verified.records == next + 2, "\(label): verify \(verified.problems)", sourceLocation: sourceLocation)
        let (reopened, again) = try RecordLog.open(directory: directory, name: "crash log", configuration: configuration, create: false)
        #expect(again.isClean && reopened.bounds.nextOffset == next + 2, "\(label): reopen \(again.notes)", sourceLocation: sourceLocation)
        try reopened.close()
    }

    /// Opens the damaged log in `directory` with the default policy and checks that it is refused as
    /// unrecoverable, naming `file` (and `position` when given), without touching any file.
    func expectRefusal(
        in directory: String, file: String, position: UInt64? = nil, _ label: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = try TestFiles.snapshot(directory)
        do {
            let (log, report) = try RecordLog.open(directory: directory, name: "crash log", configuration: configuration, create: false)
            try log.close()
            Issue.record("\(label): opened with \(log.bounds) and \(report.notes) instead of being refused", sourceLocation: sourceLocation)
        } catch let error as StorageError {
            guard case .unrecoverable(_, let reportedFile, let reportedPosition, _) = error else {
                Issue.record("\(label): \(error) instead of .unrecoverable", sourceLocation: sourceLocation)
                return
            }
            #expect(reportedFile == directory + "/" + file, "\(label): \(error)", sourceLocation: sourceLocation)
            if let position { #expect(reportedPosition == position, "\(label): \(error)", sourceLocation: sourceLocation) }
            #expect(String(describing: error).contains("cannot be recovered automatically"), sourceLocation: sourceLocation)
        }
        #expect(try TestFiles.snapshot(directory) == before, "\(label): a refused open changed the files", sourceLocation: sourceLocation)
    }
}
