import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Files that carry a segment's name but are not part of the log (left by a roll that failed
/// half-way, or put there by someone) neither block the next roll nor stop recovery.
@Suite(.timeLimit(.minutes(10))) struct StrayFileTests {
    static func stem(_ offset: UInt64) -> String {
        String(repeating: "0", count: 20 - String(offset).count) + String(offset)
    }

    @Test(arguments: [".log", ".idx"], [0, 1, 100])
    func aStrayAtTheNextSegmentsNameDoesNotBlockTheRoll(fileExtension: String, size: Int) async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            let configuration = RecordLogConfiguration(segmentBytes: 4096, maxRecordBytes: 4096, durability: .fsync)
            let (log, _) = try RecordLog.open(directory: path, name: "stray", configuration: configuration)
            var model = LogModel()
            try model.append([[UInt8](repeating: 1, count: 3000)], to: log)
            let stray = path + "/" + Self.stem(log.nextOffset) + fileExtension
            try TestFiles.write([UInt8](repeating: 7, count: size), to: stray)
            // This batch does not fit: the roll meets the stray, and still succeeds.
            try model.append([[UInt8](repeating: 2, count: 3000)], to: log)
            try model.append([[UInt8](repeating: 3, count: 3000)], to: log)
            #expect(log.bounds.segments == 3)
            #expect(try readAll(log) == model.records)
            // An empty stray is gone; one with bytes in it is kept aside, ignored.
            #expect(TestFiles.exists(stray + ".stray") == (size > 0))
            if size > 0 { #expect(try TestFiles.read(stray + ".stray") == [UInt8](repeating: 7, count: size)) }
            try log.close()
            let (reopened, report) = try RecordLog.open(directory: path, name: "stray", configuration: configuration)
            #expect(report.isClean, "\(report.notes)")
            #expect(try readAll(reopened) == model.records)
            try reopened.close()
        }
    }

    /// What a roll that failed half-way used to leave, after the log moved on in its active
    /// segment: an empty file, or an empty pair, before the last segment.
    @Test(arguments: [[".log"], [".idx"], [".log", ".idx"]])
    func recoveryRemovesEmptySegmentFilesWhereverTheyAre(extensions: [String]) async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/log"
            let configuration = RecordLogConfiguration(segmentBytes: 4096, maxRecordBytes: 4096, durability: .fsync)
            let (log, _) = try RecordLog.open(directory: path, name: "leftover", configuration: configuration)
            var model = LogModel()
            try model.append([[UInt8](repeating: 1, count: 3000)], to: log)
            let leftover = log.nextOffset
            try model.append([[UInt8](repeating: 2, count: 10)], to: log)
            try model.append([[UInt8](repeating: 3, count: 3000)], to: log)
            try log.close()
            for ext in extensions { try TestFiles.write([], to: path + "/" + Self.stem(leftover) + ext) }

            let (reopened, report) = try RecordLog.open(directory: path, name: "leftover", configuration: configuration)
            #expect(report.notes.count == 1, "\(report.notes)")
            #expect(report.notes.allSatisfy { $0.contains(Self.stem(leftover)) }, "\(report.notes)")
            #expect(try readAll(reopened) == model.records)
            try reopened.close()
            #expect(try LogVerifier.verify(directory: path).isClean)
        }
    }
}
