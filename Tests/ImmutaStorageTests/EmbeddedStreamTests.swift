import ImmutaTestSupport
import Testing

@testable import ImmutaStorage

/// The embedded log's stream: where it starts, how it waits for records, and how it ends.
@Suite(.timeLimit(.minutes(10))) struct EmbeddedStreamTests {
    @Test func startsAtEarliestLatestOrAnOffset() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            // Several segments, so that some starts fall in sealed ones.
            try await EmbeddedTesting.append(log, batches: Array(repeating: 7, count: 200))
            let next = log.bounds.nextOffset
            #expect(log.bounds.segments > 3)

            let earliest = try log.subscribe(from: .earliest)
            #expect(earliest.startOffset == 0)
            #expect(EmbeddedTesting.areConsecutive(try await EmbeddedTesting.take(Int(next), from: earliest), from: 0))

            for start in [0, 1, 6, 7, 8, 150, next - 1, next] {
                let subscription = try log.subscribe(from: .offset(start))
                #expect(subscription.startOffset == start)
                let records = try await EmbeddedTesting.take(Int(next - start), from: subscription)
                #expect(records.count == Int(next - start), "from \(start)")
                #expect(EmbeddedTesting.areConsecutive(records, from: start), "from \(start)")
            }

            // Latest is the next record appended after subscribe returns, not the last one stored.
            let latest = try log.subscribe(from: .latest)
            #expect(latest.startOffset == next)
            try await EmbeddedTesting.append(log, batches: [1, 2])
            #expect(EmbeddedTesting.areConsecutive(try await EmbeddedTesting.take(3, from: latest), from: next))
            // The default start is latest, as with the daemon client's subscribe.
            #expect(try log.subscribe().startOffset == next + 3)

            // Timestamps carry through: a start at a record's timestamp begins at or before it.
            let stored = try await EmbeddedTesting.take(Int(next), from: earliest)
            let atTimestamp = try log.subscribe(from: .timestamp(stored[100].timestamp))
            #expect(atTimestamp.startOffset <= 100)
            #expect(try await EmbeddedTesting.take(1, from: atTimestamp)[0].timestamp == stored[100].timestamp)
            try log.close()
        }
    }

    @Test func waitsForRecordsAppendedLaterByAnotherTask() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            try await EmbeddedTesting.append(log, batches: [3])
            let subscription = try log.subscribe(from: .earliest)
            let reader = Task { try await EmbeddedTesting.take(3 + 20, from: subscription) }
            // Each record comes only after the reader has caught up and is waiting for it.
            let writer = Task {
                for _ in 0..<10 {
                    #expect(await eventually { EmbeddedTesting.waitingReaders(log) == 1 }, "the reader waits")
                    try await EmbeddedTesting.append(log, batches: [2])
                }
            }
            try await writer.value
            let records = try await reader.value
            #expect(records.count == 23)
            #expect(EmbeddedTesting.areConsecutive(records, from: 0))
            #expect(EmbeddedTesting.waitingReaders(log) == 0, "a reader that stopped leaves no wait behind")
            try log.close()
        }
    }

    @Test func cancellingTheTaskEndsTheStream() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            try await EmbeddedTesting.append(log, batches: [3])
            // A reader that caught up and waits: cancelling its task ends its loop without an error.
            for round in 0..<10 {
                let subscription = try log.subscribe(from: .earliest)
                let reader = Task {
                    var seen: [Record] = []
                    for try await record in subscription { seen.append(record) }
                    return seen
                }
                #expect(await eventually { EmbeddedTesting.waitingReaders(log) == 1 }, "round \(round)")
                reader.cancel()
                let seen = try await withDeadline("the cancelled reader to end") { try await reader.value }
                #expect(EmbeddedTesting.areConsecutive(seen, from: 0) && seen.count == 3, "round \(round)")
                #expect(EmbeddedTesting.waitingReaders(log) == 0, "round \(round)")
            }
            // A reader in the middle of a backlog stops at the next record once cancelled, and its
            // iterator stays finished.
            try await EmbeddedTesting.append(log, batches: [50])
            for stopAfter in [1, 2, 17, 52] {
                let subscription = try log.subscribe(from: .earliest, batchRecords: 10)
                let reader = Task {
                    var iterator = subscription.makeAsyncIterator()
                    var seen: [Record] = []
                    while let record = try await iterator.next() {
                        seen.append(record)
                        if seen.count == stopAfter { withUnsafeCurrentTask { $0?.cancel() } }
                    }
                    return (seen, try await iterator.next())
                }
                let (seen, afterEnd) = try await reader.value
                #expect(seen.count == stopAfter && EmbeddedTesting.areConsecutive(seen, from: 0))
                #expect(afterEnd == nil)
            }
            try log.close()
        }
    }

    @Test func closingTheLogEndsItsStreams() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            try await EmbeddedTesting.append(log, batches: [4, 1])
            // Waiting readers from every kind of start, and one left in the middle of the log.
            let starts: [StartPosition] = [.earliest, .latest, .offset(2), .offset(5)]
            let readers = try starts.map { start in
                let subscription = try log.subscribe(from: start)
                return Task {
                    var seen: [Record] = []
                    for try await record in subscription { seen.append(record) }
                    return seen
                }
            }
            var midway = try log.subscribe(from: .earliest, batchRecords: 1).makeAsyncIterator()
            #expect(try await midway.next()?.offset == 0)
            #expect(await eventually { EmbeddedTesting.waitingReaders(log) == starts.count })
            try log.close()
            for (start, reader) in zip(starts, readers) {
                let seen = try await withDeadline("the reader from \(start) to end") { try await reader.value }
                let first: UInt64 = switch start {
                case .offset(let offset): offset
                case .latest: 5
                default: 0
                }
                #expect(seen.count == Int(5 - first) && EmbeddedTesting.areConsecutive(seen, from: first), "from \(start)")
            }
            #expect(try await midway.next() == nil, "a reader behind the end stops at close too")
            #expect(throws: StorageError.closed(log: "log \(dir)/log")) { try log.subscribe(from: .earliest) }
            await #expect(throws: StorageError.closed(log: "log \(dir)/log")) { try await log.append(record: EmbeddedTesting.payload(5)) }
            try log.close()  // a second close does nothing
        }
    }

    @Test func recordsReadLikeTheClientsRecords() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir)
            let payloads: [[UInt8]] = [Array("hello".utf8), [], [0xff, 0x61], Array("żółw".utf8)]
            let appended = try await log.append(payloads)
            let records = try await EmbeddedTesting.take(4, from: try log.subscribe(from: .earliest))
            #expect(records.map(\.bytes) == payloads)
            #expect(records.map(\.string) == ["hello", "", "\u{FFFD}a", "żółw"])
            #expect(records.allSatisfy { $0.timestamp == appended.timestamp })
            try log.close()
        }
    }
}
