import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Idempotent producers: a resend is answered with the original offsets and stores nothing, a
/// sequence that skips ahead is refused, the state survives reopening, and it is bounded.
@Suite(.timeLimit(.minutes(10))) struct IdempotentAppendTests {
    static func framed(_ payloads: [String]) -> [UInt8] {
        payloads.flatMap { payload -> [UInt8] in
            withUnsafeBytes(of: UInt64(payload.utf8.count).littleEndian) { Array($0) } + Array(payload.utf8)
        }
    }

    @discardableResult
    static func append(_ topic: Topic, _ payloads: [String], producer: UInt64, sequence: UInt64, limits: ProducerLimits = ProducerLimits())
        throws -> IdempotentAppend
    {
        try framed(payloads).withUnsafeBytes {
            try topic.appendIdempotent(framed: $0, expectedCount: payloads.count, producer: producer, sequence: sequence, limits: limits)
        }
    }

    static func payloads(_ topic: Topic) throws -> [String] {
        try readAll(topic.log).map { String(decoding: $0.payload, as: UTF8.self) }
    }

    @Test func resendsAreAnsweredWithTheirOffsetsAndGapsAreRefused() async throws {
        try await withTemporaryDirectory { dir in
            let (store, _) = try TopicStore.open(dataDirectory: dir)
            let topic = try store.create("t", configuration: TestLogs.small())
            var stored: [IdempotentAppend] = []
            for sequence in 0..<40 as Range<UInt64> {
                stored.append(try Self.append(topic, ["a\(sequence)", "b\(sequence)"], producer: 7, sequence: sequence))
                // Another producer interleaves, so offsets and sequences differ.
                try Self.append(topic, ["other\(sequence)"], producer: 8, sequence: sequence)
            }
            let before = try Self.payloads(topic)
            // Every remembered batch (the last 16) is a duplicate answered with its offsets.
            for sequence in 24..<40 as Range<UInt64> {
                let again = try Self.append(topic, ["a\(sequence)", "b\(sequence)"], producer: 7, sequence: sequence)
                #expect(again.duplicate && again.result == stored[Int(sequence)].result)
            }
            // Older ones are refused as forgotten; other contents under a used number as reused.
            for sequence in [0, 5, 23] as [UInt64] {
                #expect { try Self.append(topic, ["a\(sequence)", "b\(sequence)"], producer: 7, sequence: sequence) } throws: { error in
                    guard case .sequenceForgotten(_, 7, sequence, 24) = error as? StorageError else { return false }
                    return "\(error)".contains("no longer remembered")
                }
            }
            #expect { try Self.append(topic, ["changed"], producer: 7, sequence: 39) } throws: { error in
                guard case .sequenceReused = error as? StorageError else { return false }
                return true
            }
            // A gap: any sequence beyond the next is refused and stores nothing.
            for skip in [41, 42, 100, UInt64.max] as [UInt64] {
                #expect { try Self.append(topic, ["x"], producer: 7, sequence: skip) } throws: { error in
                    guard case .sequenceGap(_, 7, 40, skip) = error as? StorageError else { return false }
                    return "\(error)".contains("the next batch must be 40")
                }
            }
            // A producer the topic does not know must start at 0.
            for sequence in [1, 2, 1000] as [UInt64] {
                #expect { try Self.append(topic, ["y"], producer: 9, sequence: sequence) } throws: { error in
                    guard case .unknownProducer(_, 9, sequence) = error as? StorageError else { return false }
                    return true
                }
            }
            #expect(try Self.payloads(topic) == before)
            try store.close()
        }
    }

    @Test func stateSurvivesReopenAndForgetsBatchesLostWithTheTail() async throws {
        try await withTemporaryDirectory { dir in
            var (store, _) = try TopicStore.open(dataDirectory: dir)
            var topic = try store.create("t", configuration: TestLogs.small())
            var results: [AppendResult] = []
            for sequence in 0..<10 as Range<UInt64> {
                results.append(try Self.append(topic, ["r\(sequence)"], producer: 1, sequence: sequence).result)
            }
            try store.close()

            (store, _) = try TopicStore.open(dataDirectory: dir)
            topic = try store.topic("t")
            let again = try Self.append(topic, ["r9"], producer: 1, sequence: 9)
            #expect(again.duplicate && again.result == results[9])
            #expect(throws: StorageError.self) { try Self.append(topic, ["r11"], producer: 1, sequence: 11) }
            try store.close()

            // Cut the topic's last three records away, as a power loss can: their entries are
            // forgotten, so the producer may send those batches again, and they are stored.
            try TestFiles.resize(dir + "/topics/t/00000000000000000000.idx", to: 7 * 32)
            (store, _) = try TopicStore.open(dataDirectory: dir)
            topic = try store.topic("t")
            #expect(topic.log.nextOffset == 7)
            let resent = try Self.append(topic, ["r7"], producer: 1, sequence: 7)
            #expect(!resent.duplicate && resent.result.firstOffset == 7)
            let duplicate = try Self.append(topic, ["r6"], producer: 1, sequence: 6)
            #expect(duplicate.duplicate && duplicate.result == results[6])
            try store.close()
        }
    }

    @Test func producersAreBoundedInNumberAndAge() async throws {
        try await withTemporaryDirectory { dir in
            let (store, _) = try TopicStore.open(dataDirectory: dir)
            let topic = try store.create("t", configuration: TestLogs.small())
            let limits = ProducerLimits(maxProducers: 3, idleExpiryNanoseconds: 3_600 * 1_000_000_000)
            for producer in 1...3 as ClosedRange<UInt64> { try Self.append(topic, ["p\(producer)"], producer: producer, sequence: 0, limits: limits) }
            #expect { try Self.append(topic, ["p4"], producer: 4, sequence: 0, limits: limits) } throws: { error in
                guard case .tooManyProducers(_, 3) = error as? StorageError else { return false }
                return "\(error)".contains("max_producers_per_topic")
            }
            // Known producers carry on.
            try Self.append(topic, ["p1 again"], producer: 1, sequence: 1, limits: limits)
            // With an expiry shorter than their idle time, the idle ones make room.
            let short = ProducerLimits(maxProducers: 3, idleExpiryNanoseconds: 0)
            try Self.append(topic, ["p4"], producer: 4, sequence: 0, limits: short)
            #expect(try Self.payloads(topic) == ["p1", "p2", "p3", "p1 again", "p4"])
            try store.close()
        }
    }

    @Test func checkpointsKeepTheStateFileSmall() async throws {
        try await withTemporaryDirectory { dir in
            var (store, _) = try TopicStore.open(dataDirectory: dir)
            var topic = try store.create("t", configuration: TestLogs.small())
            let batches: UInt64 = 20_000
            for sequence in 0..<batches { try Self.append(topic, ["\(sequence)"], producer: sequence % 5, sequence: sequence / 5) }
            let stateFiles = try TestFiles.list(dir + "/topics/t/producers").filter { $0.hasSuffix(".log") }
            #expect(stateFiles.count <= 3, "\(stateFiles)")
            try store.close()
            (store, _) = try TopicStore.open(dataDirectory: dir)
            topic = try store.topic("t")
            for producer in 0..<5 as Range<UInt64> {
                let last = batches / 5 - 1
                #expect(try Self.append(topic, ["\(last * 5 + producer)"], producer: producer, sequence: last).duplicate)
                #expect(!(try Self.append(topic, ["next"], producer: producer, sequence: last + 1).duplicate))
            }
            try store.close()
        }
    }

    /// Damage anywhere in the producer state never stops the topic from opening: the state is cut
    /// at the damage, and a producer it forgot starts again from batch 0.
    @Test func damagedProducerStateIsCutNotRefused() async throws {
        try await withTemporaryDirectory { dir in
            var (store, _) = try TopicStore.open(dataDirectory: dir)
            var topic = try store.create("t", configuration: TestLogs.small())
            for sequence in 0..<20 as Range<UInt64> { try Self.append(topic, ["r\(sequence)"], producer: 3, sequence: sequence) }
            try store.close()
            let stateDirectory = dir + "/topics/t/producers"
            let stateFile = stateDirectory + "/00000000000000000000.log"
            let pristine = try TestFiles.snapshot(stateDirectory)
            for position in stride(from: 9, to: try TestFiles.size(stateFile), by: 37) {
                try TestFiles.restore(pristine, in: stateDirectory)
                try FileDamage.flipByte(stateFile, at: position)
                let reports: [String: RecoveryReport]
                (store, reports) = try TopicStore.open(dataDirectory: dir)
                topic = try store.topic("t")
                #expect(reports["t"]?.notes.contains { $0.contains("producers") } == true, "byte \(position): \(reports)")
                #expect(try Self.payloads(topic).count == 20, "byte \(position)")
                try store.close()
            }
        }
    }
}
