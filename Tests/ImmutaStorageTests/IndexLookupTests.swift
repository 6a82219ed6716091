import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Offset lookup (arithmetic on the index) and timestamp lookup (binary search over segments,
/// then over one segment's entries), across segment boundaries and after a reopen.
@Suite(.timeLimit(.minutes(10))) struct IndexLookupTests {
    /// A log of several segments whose batches carry explicit timestamps: 1000, 1010, 1020, ...,
    /// except that runs of three batches share one, so equal timestamps span batches (and segments).
    private func makeLog(_ dir: String) throws -> (RecordLog, LogModel) {
        let (log, _) = try RecordLog.open(directory: dir, name: "lookup log", configuration: TestLogs.small())
        var random = SeededGenerator(seed: 5)
        var model = LogModel()
        var batch = 0
        while log.bounds.segments < 4 {
            let payloads = Payloads.random(count: .random(in: 1...6, using: &random), sizes: 1...80, using: &random)
            try model.append(payloads, to: log, timestamp: 1_000 + Int64(batch / 3) * 10)
            batch += 1
        }
        return (log, model)
    }

    @Test func everyOffsetReadsItsRecord() async throws {
        try await withTemporaryDirectory { dir in
            let (log, model) = try makeLog(dir)
            for reopen in [false, true] {
                let log = reopen ? try RecordLog.open(directory: dir, name: "lookup log", configuration: TestLogs.small()).0 : log
                if reopen { #expect(log.bounds.nextOffset == model.nextOffset && log.bounds.segments == 4) }
                for record in model.records {
                    let batch = try log.read(from: record.offset, maxRecords: 1)
                    #expect(batch.records.map(ModelRecord.init) == [record])
                    #expect(try log.timestamp(at: record.offset) == record.timestamp)
                    #expect(try log.resolve(.offset(record.offset)) == record.offset)
                }
                #expect(try log.read(from: model.nextOffset).isEmpty)
                #expect(throws: StorageError.offsetBeyondEnd(offset: model.nextOffset + 1, next: model.nextOffset)) {
                    try log.read(from: model.nextOffset + 1)
                }
                #expect(try log.resolve(.earliest) == 0)
                #expect(try log.resolve(.latest) == model.nextOffset)
                #expect(try log.resolve(.offset(model.nextOffset)) == model.nextOffset)
                #expect(throws: StorageError.offsetBeyondEnd(offset: model.nextOffset + 5, next: model.nextOffset)) {
                    try log.resolve(.offset(model.nextOffset + 5))
                }
                try log.close()
            }
        }
    }

    @Test func readsStopAtSegmentBoundariesAndLimits() async throws {
        try await withTemporaryDirectory { dir in
            let (log, model) = try makeLog(dir)
            let bases = try segmentFiles(in: dir).map(\.baseOffset)
            let records = model.records
            for start in stride(from: 0, to: records.count, by: 3) {
                for maxRecords in [1, 2, 7, 1000] {
                    let batch = try log.read(from: UInt64(start), maxRecords: maxRecords, maxBytes: 1 << 20)
                    let segmentEnd = bases.first { $0 > UInt64(start) } ?? model.nextOffset
                    #expect(batch.count == min(maxRecords, Int(segmentEnd) - start))
                    #expect(batch.records.map(ModelRecord.init) == Array(records[start..<(start + batch.count)]))
                }
                // A byte limit smaller than one record still returns that record.
                #expect(try log.read(from: UInt64(start), maxRecords: 100, maxBytes: 1).count == 1)
                let sized = try log.read(from: UInt64(start), maxRecords: 100, maxBytes: 200)
                #expect(sized.framed.count <= 200 || sized.count == 1)
            }
            try log.close()
        }
    }

    @Test func slicesPointAtTheOnDiskBytes() async throws {
        try await withTemporaryDirectory { dir in
            let (log, model) = try makeLog(dir)
            let records = model.records
            let segments = try segmentFiles(in: dir)
            for start in stride(from: 0, to: records.count, by: 5) {
                let slice = try #require(try log.slice(from: UInt64(start), maxRecords: 9, maxBytes: 1 << 20))
                let segment = segments.last { $0.baseOffset <= UInt64(start) }!
                let relative = Int(UInt64(start) - segment.baseOffset)
                // The index bytes are the entries as stored; the data range holds the records' seed bytes.
                let index = try TestFiles.read(segment.indexPath)
                #expect(slice.indexBytes == Array(index[(relative * 32)..<((relative + slice.count) * 32)]))
                let data = try TestFiles.read(segment.dataPath)
                let range = Int(slice.dataPosition)..<Int(slice.dataPosition + slice.dataLength)
                #expect(Array(data[range]) == Payloads.framed(records[start..<(start + slice.count)].map(\.payload)))
                #expect(slice.dataPath == segment.dataPath && slice.firstOffset == UInt64(start))
                #expect(slice.count == min(9, Int((segments.first { $0.baseOffset > UInt64(start) }?.baseOffset ?? model.nextOffset) - UInt64(start))))
            }
            #expect(try log.slice(from: model.nextOffset, maxRecords: 10, maxBytes: 1 << 20) == nil)
            try log.close()
        }
    }

    @Test func timestampLookupAcrossSegments() async throws {
        try await withTemporaryDirectory { dir in
            let (log, model) = try makeLog(dir)
            let records = model.records
            let first = records.first!.timestamp
            let last = records.last!.timestamp
            for reopen in [false, true] {
                let log = reopen ? try RecordLog.open(directory: dir, name: "lookup log", configuration: TestLogs.small()).0 : log
                // Every time from well before the first record to well after the last.
                for time in (first - 25)...(last + 25) {
                    let expected = records.first { $0.timestamp >= time }?.offset ?? model.nextOffset
                    #expect(try log.offset(atOrAfter: time) == expected, "time \(time)")
                    #expect(try log.resolve(.timestamp(time)) == expected, "time \(time)")
                }
                #expect(try log.offset(atOrAfter: .min) == 0)
                #expect(try log.offset(atOrAfter: .max) == model.nextOffset)
                try log.close()
            }
            // Each segment's first timestamp, which may also be its predecessor's last, finds the
            // predecessor's first record with that timestamp.
            let reopened = try RecordLog.open(directory: dir, name: "lookup log", configuration: TestLogs.small()).0
            for segment in try segmentFiles(in: dir) {
                let time = records[Int(segment.baseOffset)].timestamp
                #expect(try reopened.offset(atOrAfter: time) == records.first { $0.timestamp == time }!.offset)
            }
            try reopened.close()
        }
    }

    @Test func timestampsNeverGoBackwards() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "time log", configuration: TestLogs.small())
            let a = try log.append([[1]])
            let later = try Payloads.framed([[2]]).withUnsafeBytes { try log.append(framed: $0, timestamp: a.timestamp - 1_000_000) }
            #expect(later.timestamp == a.timestamp, "an earlier timestamp is raised to the previous batch's")
            #expect(try log.timestamp(at: later.firstOffset) == a.timestamp)
            try log.close()
        }
    }

    @Test func timestampsNeverGoBackwardsAcrossAReopenOntoAnEmptySegment() async throws {
        // A crash just after a roll leaves a new, empty last segment; the next append must not take a
        // timestamp below the records already in the log, or timestamp lookups go wrong.
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "time log", configuration: TestLogs.small())
            var model = LogModel()
            try model.append([[1], [2]], to: log, timestamp: 5_000)
            try log.close()
            let empty = dir + "/" + String(repeating: "0", count: 19) + "2"
            try TestFiles.write([], to: empty + ".log")
            try TestFiles.write([], to: empty + ".idx")

            let (reopened, report) = try RecordLog.open(directory: dir, name: "time log", configuration: TestLogs.small())
            #expect(report.isClean && reopened.bounds.segments == 2)
            let result = try model.append([[3]], to: reopened, timestamp: 10)
            #expect(result.firstOffset == 2)
            #expect(result.timestamp == 5_000)
            #expect(try reopened.offset(atOrAfter: 5_000) == 0)
            #expect(try reopened.offset(atOrAfter: 5_001) == 3)
            try reopened.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }
}
