import ImmutaStorage
import ImmutaTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct RecordLogBasicsTests {
    @Test func appendsAndReadsBack() async throws {
        try await withTemporaryDirectory { dir in
            let (log, report) = try RecordLog.open(directory: dir, name: "test log")
            #expect(report.isClean)
            let first = try log.append([Array("a".utf8), Array("bb".utf8)])
            #expect(first.firstOffset == 0 && first.count == 2)
            let second = try log.append([Array("ccc".utf8)])
            try await log.waitUntilDurable(second)
            let batch = try log.read(from: 0, maxRecords: 10, maxBytes: 1 << 20)
            #expect(batch.records.map { String(decoding: $0.payload, as: UTF8.self) } == ["a", "bb", "ccc"])
            try log.close()
            let (reopened, again) = try RecordLog.open(directory: dir, name: "test log")
            #expect(again.isClean)
            #expect(reopened.bounds.nextOffset == 3)
            try reopened.close()
        }
    }

    @Test func aNewLogStartsAtItsFirstOffset() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir + "/log", name: "test log", firstOffset: 1_000)
            #expect(log.bounds.earliestOffset == 1_000 && log.bounds.nextOffset == 1_000)
            #expect(try log.append([[1]]).firstOffset == 1_000)
            #expect(throws: StorageError.offsetBelowEarliest(offset: 999, earliest: 1_000)) { try log.read(from: 999) }
            try log.close()
            #expect(try TestFiles.list(dir + "/log") == ["00000000000000001000.idx", "00000000000000001000.log"])
            #expect(throws: StorageError.self) { try RecordLog.open(directory: dir + "/missing", name: "test log", create: false) }
            #expect(!TestFiles.exists(dir + "/missing"))
        }
    }
}
