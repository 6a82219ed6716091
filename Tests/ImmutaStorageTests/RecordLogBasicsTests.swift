import Foundation
import Testing

@testable import ImmutaStorage

@Suite struct RecordLogBasicsTests {
    @Test func appendsAndReadsBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("immuta-basic-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
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
    }
}
