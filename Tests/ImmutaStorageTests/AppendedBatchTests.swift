import ImmutaLocks
import ImmutaStorage
import ImmutaTestSupport
import Synchronization
import Testing

/// A reader waiting at the log's end is handed the batch that woke it, and those bytes must be
/// exactly what a read of the files would send: same index entries, same records.
@Suite(.timeLimit(.minutes(5))) struct AppendedBatchTests {
    /// Batches of many shapes, across segment rolls, up to and past the 64 KiB hand-on limit.
    @Test func theBatchHandedToAWaiterIsWhatTheFilesHold() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(
                directory: dir, name: "handed", configuration: TestLogs.small(segmentBytes: 256 << 10, maxRecordBytes: 70_000))
            var random = SeededGenerator(seed: 12)
            var handed = 0
            var tooLarge = 0
            for round in 0..<300 {
                let count = Int.random(in: 1...(round % 3 == 0 ? 40 : 4), using: &random)
                let sizes = round % 50 == 49 ? 30_000...70_000 : 0...300
                let payloads = Payloads.random(count: count, sizes: sizes, using: &random)
                let next = log.bounds.nextOffset
                let received = Received()
                let token = log.whenRecords(beyond: next) { (batch: AppendedBatch?) in received.batches.withLock { $0.append(batch) } }
                #expect(token != nil)
                try log.append(payloads)
                let batches = received.batches.withLock { $0 }
                try #require(batches.count == 1, "round \(round): the waiter was woken \(batches.count) times")
                let dataBytes = payloads.reduce(0) { $0 + 8 + $1.count }
                guard let batch = batches[0] else {
                    #expect(dataBytes > AppendedBatch.maxBytes, "round \(round): a batch of \(dataBytes) bytes was not handed on")
                    tooLarge += 1
                    continue
                }
                handed += 1
                #expect(batch.firstOffset == next && batch.count == count && batch.dataLength == dataBytes)
                let slice = try #require(try log.slice(from: next, maxRecords: count, maxBytes: 1 << 20))
                try #require(slice.count == count, "round \(round): the batch crosses a segment")
                var data = [UInt8](repeating: 0, count: Int(slice.dataLength))
                try data.withUnsafeMutableBytes { try slice.readData(into: $0) }
                #expect(batch.indexAndData == slice.indexBytes + data, "round \(round)")
            }
            #expect(log.bounds.segments > 3, "the rounds should cross segment rolls")
            #expect(handed > 250 && tooLarge > 0)
            try log.close()
        }
    }

    @Test func aClosingLogWakesItsWaitersWithoutABatch() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "closing")
            let received = Received()
            _ = log.whenRecords(beyond: 0) { (batch: AppendedBatch?) in received.batches.withLock { $0.append(batch) } }
            try log.close()
            let batches = received.batches.withLock { $0 }
            #expect(batches.count == 1 && batches[0] == nil)
        }
    }
}

/// What a waiter was handed, filled in on the appending thread.
private final class Received: Sendable {
    let batches = Locked<[AppendedBatch?]>([])
}
