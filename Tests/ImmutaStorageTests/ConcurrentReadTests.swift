import ImmutaLocks
import ImmutaStorage
import ImmutaTestSupport
import Synchronization
import Testing

/// How far each reader has read, so that the writer can let them catch up and be waiting.
private final class ReaderProgress: Sendable {
    let offsets: Locked<[UInt64]>
    init(readers: Int) { offsets = Locked(Array(repeating: 0, count: readers)) }
    func update(_ reader: Int, _ offset: UInt64) { offsets.withLock { $0[reader] = offset } }
    var slowest: UInt64 { offsets.withLock { $0.min()! } }
}

/// Readers running while a writer appends never see part of a batch, and every record they read
/// passes its checksum.
@Suite(.timeLimit(.minutes(10))) struct ConcurrentReadTests {
    /// Payloads that describe themselves: batch number, position in the batch, batch size, then
    /// filler derived from those, so a reader can check each record and each batch on its own.
    private static func payload(batch: Int, index: Int, size: Int, length: Int) -> [UInt8] {
        let head = Payloads.littleEndian(UInt32(batch)) + Payloads.littleEndian(UInt32(index)) + Payloads.littleEndian(UInt32(size))
        return head + (0..<length).map { UInt8(truncatingIfNeeded: batch &* 31 &+ index &* 7 &+ $0) }
    }

    private static func decode(_ payload: some Collection<UInt8>) -> (batch: Int, index: Int, size: Int, valid: Bool) {
        let bytes = Array(payload)
        guard bytes.count >= 12 else { return (0, 0, 0, false) }
        let batch = Int(Payloads.loadLittleEndian(bytes, at: 0, width: 4))
        let index = Int(Payloads.loadLittleEndian(bytes, at: 4, width: 4))
        let size = Int(Payloads.loadLittleEndian(bytes, at: 8, width: 4))
        let expected = Self.payload(batch: batch, index: index, size: size, length: bytes.count - 12)
        return (batch, index, size, bytes == expected)
    }

    @Test func readersNeverSeeAPartialBatch() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "busy log", configuration: TestLogs.small())
            let batches = 400
            var random = SeededGenerator(seed: 29)
            let plan = (0..<batches).map { _ in (size: Int.random(in: 1...12, using: &random), length: Int.random(in: 0...40, using: &random)) }
            let total = UInt64(plan.reduce(0) { $0 + $1.size })

            let readers = 4
            let progress = ReaderProgress(readers: readers)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for reader in 0..<readers {
                    group.addTask {
                        var generator = SeededGenerator(seed: UInt64(reader))
                        var next: UInt64 = 0
                        var expected = (batch: 0, index: 0)
                        var reads = 0
                        while next < total {
                            guard try await log.waitForRecords(beyond: next, timeout: .seconds(30)) else {
                                Issue.record("reader \(reader) waited 30 s at offset \(next)")
                                return reads
                            }
                            // Where the log ends now: a batch ends there.
                            let end = log.bounds.nextOffset
                            let last = try log.read(from: end - 1, maxRecords: 1)
                            let tail = Self.decode(last.payload(0))
                            #expect(tail.valid && tail.index == tail.size - 1 && last.entries[0].isBatchEnd, "log end \(end) inside a batch")

                            let maxRecords = Int.random(in: 1...30, using: &generator)
                            let batch = try log.read(from: next, maxRecords: maxRecords, maxBytes: 1 << 20)
                            reads += 1
                            for i in 0..<batch.count {
                                let record = Self.decode(batch.payload(i))
                                #expect(record.valid, "reader \(reader): record \(next + UInt64(i)) is not what was written")
                                #expect(record.batch == expected.batch && record.index == expected.index && record.size == plan[record.batch].size,
                                        "reader \(reader): record \(next + UInt64(i)) out of order")
                                #expect(batch.entries[i].isBatchEnd == (record.index == record.size - 1))
                                expected = record.index + 1 == record.size ? (record.batch + 1, 0) : (record.batch, record.index + 1)
                            }
                            if batch.count < maxRecords {
                                // Cut short by the log's end or a segment's end, never inside a batch.
                                #expect(expected.index == 0, "reader \(reader): a read of \(batch.count) stopped inside batch \(expected.batch)")
                            }
                            next = batch.nextOffset
                            progress.update(reader, next)
                        }
                        return reads
                    }
                }
                group.addTask {
                    for (number, step) in plan.enumerated() {
                        let payloads = (0..<step.size).map { Self.payload(batch: number, index: $0, size: step.size, length: step.length) }
                        try log.append(payloads)
                        await Task.yield()
                        if number % 40 == 0 {
                            // Let every reader catch up, so that the next appends find them waiting.
                            let end = log.bounds.nextOffset
                            #expect(await eventually { progress.slowest == end })
                        }
                    }
                    return 0
                }
                var reads = 0
                for try await count in group { reads += count }
                #expect(reads >= 4)
            }
            #expect(log.bounds.nextOffset == total)
            #expect(log.bounds.segments > 3, "the readers crossed segment rolls")
            try log.close()
            let report = try LogVerifier.verify(directory: dir)
            #expect(report.isClean && report.records == total)
        }
    }
}
