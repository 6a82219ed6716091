import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Segments roll at their size; retention deletes whole segments from the front, never the active
/// one, and offsets are never reused.
@Suite(.timeLimit(.minutes(10))) struct SegmentRetentionTests {
    @Test func rollsAtSegmentBytes() async throws {
        try await withTemporaryDirectory { dir in
            let segmentBytes = 4096
            let (log, _) = try RecordLog.open(directory: dir, name: "roll log", configuration: TestLogs.small(maxRecordBytes: 3000))
            var random = SeededGenerator(seed: 21)
            var model = LogModel()
            for _ in 0..<150 {
                try model.append(Payloads.random(count: .random(in: 1...4, using: &random), sizes: 1...120, using: &random), to: log)
            }
            // A batch bigger than a segment gets a segment of its own.
            try model.append([Payloads.random(2000, using: &random), Payloads.random(2500, using: &random)], to: log)
            try model.append([[1]], to: log)
            try log.close()

            let segments = try segmentFiles(in: dir)
            #expect(segments.count > 4)
            #expect(segments.first?.baseOffset == 0)
            for (i, segment) in segments.enumerated() {
                // Every segment starts with a batch, at the offset its name says.
                let batches = model.batches.filter {
                    $0.firstOffset >= segment.baseOffset && (i + 1 == segments.count || $0.firstOffset < segments[i + 1].baseOffset)
                }
                #expect(batches.first?.firstOffset == segment.baseOffset)
                let size = try TestFiles.size(segment.dataPath)
                #expect(size == batches.reduce(0) { $0 + $1.framedSize })
                #expect(size <= segmentBytes || batches.count == 1, "segment \(segment.dataName) holds \(size) bytes")
                if i + 1 < segments.count, let next = model.batches.first(where: { $0.firstOffset == segments[i + 1].baseOffset }) {
                    // It rolled because the next batch would not have fitted.
                    #expect(size + next.framedSize > segmentBytes, "segment \(segment.dataName) rolled early")
                }
            }
            let (reopened, report) = try RecordLog.open(directory: dir, name: "roll log", configuration: TestLogs.small(maxRecordBytes: 3000))
            #expect(report.isClean)
            #expect(try readAll(reopened) == model.records)
            try reopened.close()
        }
    }

    /// A log of about ten segments with timestamps 1000, 1010, ... per batch.
    private func makeLog(_ dir: String, _ configuration: RecordLogConfiguration) throws -> (RecordLog, LogModel) {
        let (log, _) = try RecordLog.open(directory: dir, name: "retention log", configuration: configuration)
        let model = try TestLogs.fill(log, segments: 10, tailBatches: [2], maxPayload: 100)
        return (log, model)
    }

    /// Checks that retention deleted exactly the segments `removedBefore..<removed` of `before` (and
    /// returned their data files), and what is left reads as it should.
    private func expectRetention(
        _ log: RecordLog, _ model: LogModel, before: [SegmentFiles], deleted: [String], removedBefore: Int, removed: Int,
        _ label: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(deleted == before[removedBefore..<removed].map(\.dataPath), "\(label)", sourceLocation: sourceLocation)
        #expect(try segmentFiles(in: log.directory) == Array(before[removed...]), "\(label)", sourceLocation: sourceLocation)
        let earliest = before[removed].baseOffset
        #expect(log.bounds.earliestOffset == earliest && log.bounds.nextOffset == model.nextOffset, "\(label)", sourceLocation: sourceLocation)
        #expect(try readAll(log) == model.records.filter { $0.offset >= earliest }, "\(label)", sourceLocation: sourceLocation)
        #expect(try log.resolve(.earliest) == earliest, sourceLocation: sourceLocation)
        guard earliest > 0 else { return }
        for below in Set([0, earliest / 2, earliest - 1]) {
            do {
                _ = try log.read(from: below)
                Issue.record("\(label): read below the earliest offset succeeded", sourceLocation: sourceLocation)
            } catch {
                #expect(
                    String(describing: error).contains("offset \(below) is below the earliest retained offset \(earliest)"),
                    "\(label): \(error)", sourceLocation: sourceLocation)
            }
            #expect(throws: StorageError.offsetBelowEarliest(offset: below, earliest: earliest), sourceLocation: sourceLocation) {
                try log.resolve(.offset(below))
            }
        }
    }

    @Test func retentionByBytesDeletesWholeOldestSegments() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = TestLogs.small()
            let (log, model) = try makeLog(dir, configuration)
            let before = try segmentFiles(in: dir)
            let sizes = try before.map { try TestFiles.size($0.dataPath) + TestFiles.size($0.indexPath) }
            var removed = 0
            // Lower the limit step by step, down to less than the active segment alone.
            for limit in Array(stride(from: sizes.reduce(0, +) + 100, through: 1, by: -700)) + [1] {
                configuration.retentionBytes = UInt64(limit)
                try log.updateConfiguration(configuration)
                let deleted = try log.enforceRetention()
                var total = sizes[removed...].reduce(0, +)
                var expected = removed
                while expected < before.count - 1 && total > limit {
                    total -= sizes[expected]
                    expected += 1
                }
                #expect(UInt64(total) == log.bounds.bytes)
                try expectRetention(log, model, before: before, deleted: deleted, removedBefore: removed, removed: expected, "limit \(limit)")
                removed = expected
            }
            #expect(removed == before.count - 1, "only the active segment is left")
            #expect(log.bounds.bytes == UInt64(sizes.last!), "the active segment stays even over the limit")

            // Offsets are never reused: the next append continues, and so does a reopened log.
            let appended = try log.append([[9]])
            #expect(appended.firstOffset == model.nextOffset)
            try log.close()
            let (reopened, report) = try RecordLog.open(directory: dir, name: "retention log", configuration: configuration)
            #expect(report.isClean)
            #expect(reopened.bounds.earliestOffset == before.last!.baseOffset && reopened.bounds.nextOffset == model.nextOffset + 1)
            try reopened.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test func retentionByAgeDeletesWholeOldestSegments() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = TestLogs.small()
            configuration.retentionMilliseconds = 1000
            let age: Int64 = 1_000_000_000
            let (log, model) = try makeLog(dir, configuration)
            let before = try segmentFiles(in: dir)
            // The newest timestamp of each segment (the fixture's records are 10 ns apart).
            let newest = before.indices.map { i in
                model.records.last { $0.offset < (i + 1 < before.count ? before[i + 1].baseOffset : model.nextOffset) }!.timestamp
            }
            // A segment goes once its newest record is more than the age older than `now`; try `now`
            // just below, at and just above each segment's threshold, then long after everything.
            let times = Set(newest.flatMap { [$0 + age - 1, $0 + age, $0 + age + 1] } + [0, newest.last! * 1_000]).sorted()
            var removed = 0
            for now in times {
                let deleted = try log.enforceRetention(now: now)
                var expected = removed
                while expected < before.count - 1 && newest[expected] < now - age { expected += 1 }
                try expectRetention(log, model, before: before, deleted: deleted, removedBefore: removed, removed: expected, "now \(now)")
                removed = expected
            }
            #expect(removed == before.count - 1, "everything but the active segment has expired")
            let appended = try log.append([[1]])
            #expect(appended.firstOffset == model.nextOffset)
            try log.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test func halfDeletedOldestSegmentIsFinishedOnOpen() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = TestLogs.small()
            let (log, _) = try RecordLog.open(directory: dir + "/source", name: "retention log", configuration: configuration)
            let model = try TestLogs.fill(log, segments: 4, tailBatches: [1])
            try log.close()
            let files = try TestFiles.snapshot(dir + "/source")
            let segments = try segmentFiles(in: dir + "/source")
            // Retention unlinks the data file, then the index: a crash in between leaves the index.
            // Either file alone is recognised (a manual clean-up may have gone the other way).
            for (leftover, gone) in [(segments[0].indexName, segments[0].dataName), (segments[0].dataName, segments[0].indexName)] {
                let logDir = dir + "/log"
                try TestFiles.restore(files, in: logDir)
                try TestFiles.remove(logDir + "/" + gone)
                let (reopened, report) = try RecordLog.open(directory: logDir, name: "retention log", configuration: configuration)
                #expect(report.notes.count == 1 && report.notes[0].contains(leftover), "\(report.notes)")
                #expect(!TestFiles.exists(logDir + "/" + leftover))
                #expect(reopened.bounds.earliestOffset == segments[1].baseOffset && reopened.bounds.nextOffset == model.nextOffset)
                #expect(try readAll(reopened) == model.records.filter { $0.offset >= segments[1].baseOffset })
                #expect(try reopened.append([[1]]).firstOffset == model.nextOffset)
                try reopened.close()
                #expect(try LogVerifier.verify(directory: logDir).isClean)
            }
            // A segment file without its partner anywhere else is damage, not retention: refused.
            for segment in segments[1...] {
                for gone in [segment.dataName, segment.indexName] {
                    let logDir = dir + "/log"
                    try TestFiles.restore(files, in: logDir)
                    try TestFiles.remove(logDir + "/" + gone)
                    #expect(throws: StorageError.self, "\(gone) missing") {
                        try RecordLog.open(directory: logDir, name: "retention log", configuration: configuration)
                    }
                }
            }
            // The newest segment's data file, created empty just before a crash, without its index.
            let logDir = dir + "/log"
            try TestFiles.restore(files, in: logDir)
            let orphan = logDir + "/" + String(repeating: "0", count: 20 - String(model.nextOffset).count) + "\(model.nextOffset).log"
            try TestFiles.write([], to: orphan)
            let (reopened, report) = try RecordLog.open(directory: logDir, name: "retention log", configuration: configuration)
            #expect(report.notes.count == 1 && !TestFiles.exists(orphan))
            #expect(reopened.bounds.nextOffset == model.nextOffset && reopened.bounds.segments == segments.count)
            try reopened.close()
        }
    }
}
