import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct ProduceConsumeTests {
    @Test func concurrentProducersOnOneTopicGetDistinctContiguousOffsets() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let admin = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await admin.createTopic("events", options: TopicOptions(durability: "none"))
        let producers = 4
        let batches = 50
        let results = try await withThrowingTaskGroup(of: [(UInt64, Int, String)].self) { group in
            for p in 0..<producers {
                group.addTask {
                    let client = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "producer-\(p)")
                    var produced: [(UInt64, Int, String)] = []
                    for b in 0..<batches {
                        let tag = "p\(p)-b\(b)"
                        let size = 1 + (b % 7)
                        let result = try await client.produce(
                            "events", (0..<size).map { Array("\(tag)-\($0)".utf8) }, ack: b % 2 == 0 ? .write : .fsync)
                        produced.append((result.firstOffset, result.count, tag))
                    }
                    await client.close()
                    return produced
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let total = results.reduce(0) { $0 + $1.1 }
        #expect(try await admin.describeTopic("events").nextOffset == UInt64(total))
        // Every batch is contiguous, whole and where its producer was told.
        var all: [ImmutaRecord] = []
        var offset: UInt64 = 0
        while offset < UInt64(total) {
            let fetched = try await admin.fetch("events", from: .offset(offset), maxRecords: 10_000)
            all += fetched.records
            try #require(fetched.nextOffset > offset, "a fetch at \(offset) below \(total) made no progress")
            offset = fetched.nextOffset
        }
        for (first, count, tag) in results {
            for i in 0..<count {
                #expect(all[Int(first) + i].string == "\(tag)-\(i)")
            }
        }
        await admin.close()
        await daemon.stop()
    }

    @Test func consumersAtDifferentOffsetsSeeTheirSuffix() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("log")
        try await client.produce("log", (0..<500).map { Array("r\($0)".utf8) }, ack: .write)
        for start in [0, 1, 137, 499, 500] as [UInt64] {
            let fetched = try await client.fetch("log", from: .offset(start), maxRecords: 10_000)
            #expect(fetched.records.map(\.offset) == Array(start..<500))
            #expect(fetched.records.map(\.string) == (start..<500).map { "r\($0)" })
            #expect(fetched.logEndOffset == 500)
        }
        await #expect(throws: ImmutaError.self) { try await client.fetch("log", from: .offset(501)) }
        // Earliest, latest and timestamp positions.
        #expect(try await client.fetch("log", from: .earliest, maxRecords: 1).records.first?.offset == 0)
        #expect(try await client.fetch("log", from: .latest).records.isEmpty)
        let stamp = try await client.fetch("log", from: .offset(250), maxRecords: 1).records[0].timestamp
        #expect(try await client.fetch("log", from: .timestamp(nanosecondsSinceEpoch: stamp), maxRecords: 1).records.count == 1)
        await client.close()
        await daemon.stop()
    }

    @Test func subscriberReceivesRecordsProducedAfterItSubscribed() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("live")
        try await client.produce("live", [Array("before".utf8)], ack: .write)
        let subscription = try await client.subscribe("live", from: .latest, creditRecords: 7, creditBytes: 1 << 20)
        #expect(subscription.startOffset == 1)
        let producer = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        let expected = (0..<100).map { "after-\($0)" }
        Task {
            for chunk in stride(from: 0, to: 100, by: 10) {
                try await producer.produce("live", expected[chunk..<(chunk + 10)].map { Array($0.utf8) }, ack: .write)
            }
        }
        let received = try await withDeadline("for the subscription to deliver 100 records") {
            var received: [String] = []
            for try await record in subscription {
                received.append(record.string)
                #expect(record.offset == UInt64(received.count))
                if received.count == 100 { break }
            }
            return received
        }
        #expect(received == expected)
        await subscription.cancel()
        await producer.close()
        await client.close()
        await daemon.stop()
    }

    @Test func fetchWaitsForNewRecordsAndTimesOut() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("waiting")
        let empty = try await client.fetch("waiting", from: .latest, wait: .milliseconds(50))
        #expect(empty.records.isEmpty)
        let producer = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        async let waited = client.fetch("waiting", from: .offset(0), wait: .seconds(30))
        try await producer.produce("waiting", [Array("wake".utf8)], ack: .write)
        let result = try await waited
        #expect(result.records.map(\.string) == ["wake"])
        await producer.close()
        await client.close()
        await daemon.stop()
    }

    @Test func pipelinedRequestsOnOneConnectionAllComplete() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("pipe")
        let offsets = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for i in 0..<200 {
                group.addTask {
                    if i % 3 == 0 { _ = try await client.ping() }
                    return try await client.produce("pipe", [Array("\(i)".utf8)], ack: i % 2 == 0 ? .write : .fsync).firstOffset
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(offsets) == Set(0..<200))
        let stats = try await client.stats()
        #expect(stats["records_produced"] == 200)
        await client.close()
        await daemon.stop()
    }

    @Test func fetchesAreSentFromTheSegmentFileWithoutCopying() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("zero")
        let payload = [UInt8](repeating: 0x5A, count: 10_000)
        try await client.produce("zero", Array(repeating: payload, count: 50), ack: .write)
        let before = try await client.stats()["bytes_sent_zero_copy"] ?? 0
        let fetched = try await client.fetch("zero", from: .earliest, maxRecords: 50, maxBytes: 1 << 20)
        #expect(fetched.records.count == 50)
        #expect(fetched.records.allSatisfy { $0.bytes == payload })
        let after = try await client.stats()["bytes_sent_zero_copy"] ?? 0
        #expect(after - before == Int64(50 * (payload.count + 8)))
        await client.close()
        await daemon.stop()
    }
}
