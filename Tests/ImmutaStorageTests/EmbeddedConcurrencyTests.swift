import ImmutaTestSupport
import Testing

@testable import ImmutaStorage

/// One writer and many readers in one process: every reader sees every record once, in order,
/// and no reader, however slow, holds the writer up.
@Suite(.timeLimit(.minutes(10))) struct EmbeddedConcurrencyTests {
    @Test func manyReadersSeeEveryRecordOnceInOrderWhileTheWriterAppends() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            var random = SeededGenerator(seed: 11)
            let batches = (0..<400).map { _ in Payloads.random(count: Int.random(in: 1...12, using: &random), sizes: 0...90, using: &random) }
            let expected = batches.flatMap { $0 }
            try await log.append(batches[0])
            // Readers of every kind, subscribed before the rest is written: from the start, from the
            // middle of the first batch, from the end; reading 1, 7 or many records at a time.
            let starts: [(StartPosition, UInt64)] = [(.earliest, 0), (.offset(UInt64(batches[0].count - 1)), UInt64(batches[0].count - 1)), (.latest, UInt64(batches[0].count))]
            let subscriptions = try starts.flatMap { start, _ in
                try [1, 7, 1000].map { try log.subscribe(from: start, batchRecords: $0) }
            }
            try await withThrowingTaskGroup(of: (Int, [Record]).self) { group in
                for (i, subscription) in subscriptions.enumerated() {
                    let wanted = expected.count - Int(subscription.startOffset)
                    group.addTask { (i, try await EmbeddedTesting.take(wanted, from: subscription)) }
                }
                group.addTask {
                    for batch in batches.dropFirst() { try await log.append(batch) }
                    return (-1, [])
                }
                for try await (i, records) in group where i >= 0 {
                    let first = subscriptions[i].startOffset
                    #expect(first == starts[i / 3].1)
                    #expect(records.count == expected.count - Int(first), "reader \(i)")
                    #expect(records.map(\.offset) == Array(first..<UInt64(expected.count)), "reader \(i): every offset once, in order")
                    #expect(records.map(\.payload) == Array(expected[Int(first)...]), "reader \(i): the bytes written")
                }
            }
            #expect(log.bounds.segments > 5, "the readers crossed segment boundaries")
            try log.close()
        }
    }

    @Test func aReaderThatStopsConsumingNeverBlocksTheWriter() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            try await EmbeddedTesting.append(log, batches: [3])
            // One reader holds a batch it never finishes, one waits at the end and never asks
            // for more once it has one (its task is parked on a stream), one was never iterated.
            var stalled = try log.subscribe(from: .earliest, batchRecords: 2).makeAsyncIterator()
            #expect(try await stalled.next()?.offset == 0)
            let unread = try log.subscribe(from: .earliest)
            let parked = AsyncStream<Void>.makeStream()
            let waiting = try log.subscribe(from: .latest)
            let waitingReader = Task {
                var iterator = waiting.makeAsyncIterator()
                let first = try await iterator.next()
                for await _ in parked.stream {}
                return first
            }
            #expect(await eventually { EmbeddedTesting.waitingReaders(log) == 1 })
            let count = 10_000
            try await withDeadline("the writer to append \(count) records past readers that do not read") {
                for _ in 0..<count { try await EmbeddedTesting.append(log, batches: [1]) }
            }
            #expect(log.bounds.nextOffset == UInt64(3 + count))
            // Resumed, the readers find every record.
            var rest: [Record] = []
            while rest.count < 2 + count, let record = try await stalled.next() { rest.append(record) }
            #expect(EmbeddedTesting.areConsecutive(rest, from: 1) && rest.count == 2 + count)
            #expect(EmbeddedTesting.areConsecutive(try await EmbeddedTesting.take(3 + count, from: unread), from: 0))
            parked.continuation.finish()
            #expect(try await waitingReader.value?.offset == 3, "the waiting reader got the first record appended")
            try log.close()
        }
    }
}
