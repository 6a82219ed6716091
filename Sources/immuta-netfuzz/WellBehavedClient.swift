import Immuta
import Synchronization
import ImmutaTestSupport

/// A client that uses the daemon as intended while the fuzzer attacks it: it produces to a topic
/// of its own and reads everything back through a subscription (and spot checks through FETCH),
/// checking each record's offset and bytes. Any error, mismatch or stall is a failure of the run:
/// fuzz traffic on other connections must never disturb a well-behaved client.
struct WellBehavedClient: Sendable {
    let socketPath: String
    let topic: String
    let seed: UInt64
    let state: RunState

    /// The payload of the record at `offset`: derived from the seed and the offset, so the reader
    /// can check it without keeping what was written; 0 to 299 bytes after a readable prefix.
    func payload(at offset: UInt64) -> [UInt8] {
        var random = SeededGenerator(seed: seed, stream: 0xC1_1E47 ^ offset)
        return Array("wb \(offset) ".utf8) + random.bytes(Int(random.next() % 300))
    }

    /// Produces until fuzzing stops, while a second connection verifies through a subscription.
    /// Returns the producer connection, still open, for the final read-back.
    func produceAndVerify() async throws -> ImmutaClient {
        let producer = try await ImmutaClient.connect(socketPath: socketPath, clientName: "netfuzz-wb-producer")
        let consumer = try await ImmutaClient.connect(socketPath: socketPath, clientName: "netfuzz-wb-consumer")
        try await producer.createTopic(topic)
        let subscription = try await consumer.subscribe(topic, from: .earliest, creditRecords: 1_000, creditBytes: 1 << 20)
        state.clientReady.store(true, ordering: .releasing)
        let reader = Task {
            do {
                try await verify(subscription)
            } catch {
                if !Task.isCancelled { state.fail("well-behaved subscription: \(error)") }
            }
        }
        defer { reader.cancel() }
        var random = SeededGenerator(seed: seed, stream: 0xB47C4)
        var next: UInt64 = 0
        var batches = 0
        while !state.stopFuzzing.load(ordering: .acquiring) {
            let count = Int.random(in: 1...16, using: &random)
            let payloads = (0..<UInt64(count)).map { payload(at: next + $0) }
            // Mostly acknowledged once written; every fourth batch waits for fdatasync too.
            let result = try await producer.produce(topic, payloads, ack: batches % 4 == 0 ? .fsync : .write)
            guard result.firstOffset == next, result.count == count else {
                throw Failure("PRODUCE answered offsets \(result.firstOffset)+\(result.count), expected \(next)+\(count)")
            }
            next += UInt64(count)
            batches += 1
            state.recordsProduced.store(Int(next), ordering: .relaxed)
            if batches % 50 == 0 {
                try await spotCheck(producer, from: UInt64.random(in: 0..<next, using: &random), end: next)
            }
        }
        try await waitForReader(total: Int(next))
        reader.cancel()
        await consumer.close()
        return producer
    }

    /// Reads the subscription in order, checking each record, until cancelled.
    private func verify(_ subscription: ImmutaSubscription) async throws {
        var expected: UInt64 = 0
        for try await record in subscription {
            guard record.offset == expected else {
                throw Failure("subscription delivered offset \(record.offset), expected \(expected)")
            }
            guard record.bytes == payload(at: expected) else {
                throw Failure("subscription delivered different bytes at offset \(expected)")
            }
            expected += 1
            state.recordsVerified.store(Int(expected), ordering: .relaxed)
        }
        if !Task.isCancelled { throw Failure("the subscription ended after \(expected) records") }
    }

    /// Waits until the subscription has verified every produced record (the monitor's stall check
    /// bounds the wait, and a failed check of the reader ends it).
    private func waitForReader(total: Int) async throws {
        while state.recordsVerified.load(ordering: .relaxed) < total && state.failures.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// FETCHes a range and checks it: the request/response path, besides the subscription's pushes.
    private func spotCheck(_ client: ImmutaClient, from start: UInt64, end: UInt64) async throws {
        var offset = start
        while offset < min(end, start + 100) {
            let result = try await client.fetch(topic, from: .offset(offset), maxRecords: 100)
            guard let first = result.records.first, first.offset == offset else {
                throw Failure("FETCH from \(offset) returned \(result.records.first.map { "offset \($0.offset)" } ?? "nothing")")
            }
            for record in result.records {
                guard record.offset == offset, record.bytes == payload(at: offset) else {
                    throw Failure("FETCH returned different bytes or offset at \(offset) (got offset \(record.offset))")
                }
                offset += 1
            }
            state.recordsFetchChecked.add(result.records.count, ordering: .relaxed)
        }
    }

    /// Reads the whole topic back from offset 0 after the run and checks it is exactly what was
    /// produced: nothing lost, nothing extra, nothing changed.
    func finalReadBack(_ client: ImmutaClient, total: UInt64) async throws {
        for start in stride(from: UInt64(0), to: total, by: 100) {
            try await spotCheck(client, from: start, end: total)
        }
        let description = try await client.describeTopic(topic)
        guard description.earliestOffset == 0, description.nextOffset == total else {
            throw Failure("the topic holds offsets \(description.earliestOffset)..<\(description.nextOffset), expected 0..<\(total)")
        }
    }
}

/// A failed check of the well-behaved client.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
