import Immuta
import NIOCore
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A source appends a stream's messages to a local topic through a durable consumer. immutad is
/// killed with SIGKILL several times while it does; the topic ends with every message exactly
/// once, in stream order.
@Suite(.timeLimit(.minutes(20)), .serialized) struct SourceCrashTests {
    @Test func aSourcedTopicHoldsEveryMessageOnceAcrossCrashes() async throws {
        let harness = try await MirrorHarness.start(
            extraConfig: """
                sources:
                  - name: inbound
                    servers: [SERVERS]
                    stream: INBOUND
                    topic: orders-in
                    batch: 100
                """)
        do {
            let count = MirrorHarness.long ? 60_000 : 6_000
            let publisher = try JetStreamTestClient(urls: harness.cluster.urls)
            try publisher.addStream("INBOUND", subject: "inbound", replicas: 3)
            let payload = { (index: Int) in Array("inbound \(index)".utf8) }
            try publisher.publishMany(subject: "inbound", count: count, payload: payload)
            let kills = MirrorHarness.long ? 10 : 3
            for round in 0..<kills {
                // Killed once the topic has passed a point further along each round.
                try await waitForTopic(harness, atLeast: UInt64(count * (round + 1) / (kills + 1)))
                await harness.daemon.kill9()
                try await harness.restartDaemon()
            }
            try await waitForTopic(harness, atLeast: UInt64(count))
            let client = try await harness.client()
            let source = try #require(try await client.listMirrors().first { $0.kind == .source })
            #expect(source.name == "inbound" && source.topic == "orders-in" && source.position == UInt64(count), "\(source)")
            var payloads: [[UInt8]] = []
            var next: UInt64 = 0
            while true {
                let fetched = try await client.fetch("orders-in", from: .offset(next), maxRecords: 1000)
                if fetched.records.isEmpty { break }
                payloads += fetched.records.map { Array($0.payload.readableBytesView) }
                next = fetched.nextOffset
            }
            await client.close()
            #expect(payloads.count == count, "the topic holds \(payloads.count) records for \(count) stream messages")
            #expect(payloads == (0..<count).map(payload), "first record out of place: \(String(describing: payloads.indices.first { payloads[$0] != payload($0) }))")
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    private func waitForTopic(_ harness: MirrorHarness, atLeast end: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let client = try? await harness.client() {
                let topicEnd = try? await client.describeTopic("orders-in").nextOffset
                await client.close()
                if let topicEnd, topicEnd >= end { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let client = try await harness.client()
        let status = try await client.listMirrors().first { $0.kind == .source }
        await client.close()
        throw DaemonTestError(
            "topic orders-in did not reach \(end) records; source: \(String(describing: status)); immutad said:\n\(harness.daemon.output.suffix(3000))")
    }
}
