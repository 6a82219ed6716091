import ImmutaStorage
import ImmutaTestSupport
import Testing

/// A batch that cannot be written whole is not written at all: it throws and leaves no trace.
@Suite(.timeLimit(.minutes(10))) struct AtomicBatchTests {
    /// Sizes of every file of the log, its bounds, and its segment count.
    private struct Trace: Equatable {
        var files: [String: Int]
        var bounds: LogBounds

        init(_ log: RecordLog) throws {
            files = [:]
            for name in try TestFiles.list(log.directory) { files[name] = try TestFiles.size(log.directory + "/" + name) }
            bounds = log.bounds
        }
    }

    /// Checks that `attempt` throws `expected` and changes nothing, and that the log still appends
    /// at the same offset afterwards.
    private func expectNoTrace(
        _ log: RecordLog, _ model: inout LogModel, _ label: String, expected: (StorageError) -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation, _ attempt: () throws -> Void
    ) throws {
        let before = try Trace(log)
        do {
            try attempt()
            Issue.record("\(label): the batch was accepted", sourceLocation: sourceLocation)
        } catch let error as StorageError {
            #expect(expected(error), "\(label): \(error)", sourceLocation: sourceLocation)
        }
        #expect(try Trace(log) == before, "\(label): the failed batch left a trace", sourceLocation: sourceLocation)
        let good = try model.append([[UInt8(model.batches.count & 0xFF)]], to: log)
        #expect(good.firstOffset == before.bounds.nextOffset, "\(label)", sourceLocation: sourceLocation)
    }

    private func isTooLarge(_ error: StorageError) -> Bool {
        if case .recordTooLarge = error { return true } else { return false }
    }

    private func isMalformed(_ error: StorageError) -> Bool {
        if case .malformedRecords = error { return true } else { return false }
    }

    @Test func oversizedRecordAnywhereInABatch() async throws {
        try await withTemporaryDirectory { dir in
            let limit = 100
            let (log, _) = try RecordLog.open(directory: dir, name: "atomic log", configuration: TestLogs.small(maxRecordBytes: UInt64(limit)))
            var model = LogModel()
            var random = SeededGenerator(seed: 9)
            for count in 1...6 {
                for bad in 0..<count {
                    for size in [limit + 1, limit + 2, 4 * limit] {
                        var payloads = Payloads.random(count: count, sizes: 0...limit, using: &random)
                        payloads[bad] = Payloads.random(size, using: &random)
                        let label = "record \(bad) of \(count) has \(size) bytes"
                        try expectNoTrace(log, &model, label, expected: { $0 == .recordTooLarge(size: UInt64(size), limit: UInt64(limit)) }) {
                            try log.append(payloads)
                        }
                        try expectNoTrace(log, &model, label + " (framed)", expected: isTooLarge) {
                            try Payloads.framed(payloads).withUnsafeBytes { _ = try log.append(framed: $0) }
                        }
                    }
                }
            }
            // Exactly at the limit is fine.
            try model.append([Payloads.random(limit, using: &random)], to: log)
            #expect(try readAll(log) == model.records)
            try log.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test func malformedFramedBytes() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "atomic log", configuration: TestLogs.small(maxRecordBytes: 200))
            var model = LogModel()
            var random = SeededGenerator(seed: 13)
            let good = Payloads.framed(Payloads.random(count: 4, sizes: 0...40, using: &random))
            var boundaries: Set<Int> = [0]
            var position = 0
            while position < good.count {
                position += 8 + Int(Payloads.loadLittleEndian(good, at: position, width: 8))
                boundaries.insert(position)
            }
            // Cut anywhere but at a record boundary: a size prefix or a payload runs past the end.
            for length in 1..<good.count where !boundaries.contains(length) {
                try expectNoTrace(log, &model, "batch cut to \(length) of \(good.count) bytes", expected: isMalformed) {
                    try Array(good[0..<length]).withUnsafeBytes { _ = try log.append(framed: $0) }
                }
            }
            // A size prefix that claims more than follows, at every record.
            for boundary in boundaries.sorted().dropLast() {
                var bad = good
                bad[boundary] &+= 1
                if Payloads.loadLittleEndian(bad, at: boundary, width: 8) > 200 { continue }
                let label = "record at \(boundary) claims one byte more"
                if boundary == boundaries.sorted().dropLast().last! {
                    try expectNoTrace(log, &model, label, expected: isMalformed) {
                        try bad.withUnsafeBytes { _ = try log.append(framed: $0) }
                    }
                } else {
                    // Claiming one more byte shifts the framing: some later prefix runs off or is huge.
                    try expectNoTrace(log, &model, label, expected: { isMalformed($0) || isTooLarge($0) }) {
                        try bad.withUnsafeBytes { _ = try log.append(framed: $0) }
                    }
                }
            }
            // A size prefix with the top bit set, and trailing bytes too short for a prefix.
            for byte in 0..<8 {
                var bad = good
                bad[byte] = 0xFF
                try expectNoTrace(log, &model, "first prefix byte \(byte) is 0xFF", expected: { isMalformed($0) || isTooLarge($0) }) {
                    try bad.withUnsafeBytes { _ = try log.append(framed: $0) }
                }
            }
            for extra in 1..<8 {
                try expectNoTrace(log, &model, "\(extra) trailing bytes", expected: isMalformed) {
                    try (good + [UInt8](repeating: 0, count: extra)).withUnsafeBytes { _ = try log.append(framed: $0) }
                }
            }
            try expectNoTrace(log, &model, "empty framed batch", expected: { $0 == .emptyBatch }) {
                try [UInt8]().withUnsafeBytes { _ = try log.append(framed: $0) }
            }
            try expectNoTrace(log, &model, "empty batch", expected: { $0 == .emptyBatch }) { try log.append([]) }
            #expect(try readAll(log) == model.records)
            try log.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test func failedBatchDoesNotRollTheSegment() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "atomic log", configuration: TestLogs.small(maxRecordBytes: 1000))
            var model = LogModel()
            while log.bounds.bytes < 3_800 { try model.append([[UInt8](repeating: 7, count: 300)], to: log) }
            #expect(log.bounds.segments == 1)
            // A batch that would fill the segment past its size but is malformed: no new segment.
            let bad = Payloads.framed([[UInt8](repeating: 1, count: 900)]) + [1, 2, 3]
            try expectNoTrace(log, &model, "malformed batch at a roll", expected: isMalformed) {
                try bad.withUnsafeBytes { _ = try log.append(framed: $0) }
            }
            try log.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test func appendAfterCloseIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "atomic log", configuration: TestLogs.small())
            try log.append([[1]])
            try log.close()
            #expect(throws: StorageError.closed(log: "atomic log")) { try log.append([[2]]) }
            #expect(throws: StorageError.closed(log: "atomic log")) { try log.read(from: 0) }
            try log.close()
            let (reopened, _) = try RecordLog.open(directory: dir, name: "atomic log", configuration: TestLogs.small())
            #expect(reopened.bounds.nextOffset == 1)
            try reopened.close()
        }
    }
}
