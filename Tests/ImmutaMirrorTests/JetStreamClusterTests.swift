import CNats
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// The ground the mirror will stand on, checked against a real 3-node JetStream cluster: Swift
/// drives libnats; a message id deduplicates a resend; a chain of expected-last ids refuses a
/// record out of order; and after the stream leader is killed, the chain goes on where it stopped,
/// with every record stored once.
@Suite(.timeLimit(.minutes(5)), .serialized) struct JetStreamClusterTests {
    @Test func chainedPublishesSurviveTheLossOfTheStreamLeader() async throws {
        let dir = TemporaryDirectory(prefix: "nats")
        let cluster = try await NatsCluster.start(in: dir.path)
        do {
            try await run(cluster)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }

    private func run(_ cluster: NatsCluster) async throws {
        let client = try JetStreamTestClient(urls: cluster.urls)
        let (stream, subject) = ("IMMUTA_host_orders", "immuta.host.orders")
        try await retrying("creating the stream") { try client.addStream(stream, subject: subject, replicas: 3) }
        let id = { (offset: Int) in "host/orders/\(offset)" }
        let payload = { (offset: Int) in Array("record \(offset)".utf8) }

        for offset in 0..<300 {
            let first = try client.publish(
                subject: subject, payload: payload(offset), messageID: id(offset), expectLast: offset == 0 ? nil : id(offset - 1))
            #expect(first.sequence == UInt64(offset + 1) && !first.duplicate, "offset \(offset)")
            if offset % 7 == 3 {
                // A resend (the ack was lost, say) is recognised by its id, whatever follows it.
                let again = try client.publish(
                    subject: subject, payload: payload(offset), messageID: id(offset), expectLast: offset == 0 ? nil : id(offset - 1))
                #expect(again.duplicate && again.sequence == first.sequence, "offset \(offset)")
            }
        }
        // A record whose predecessor is not the stream's last is refused, not stored out of order.
        for wrong in [0, 150, 298] {
            do {
                _ = try client.publish(subject: subject, payload: payload(300), messageID: "refused-\(wrong)", expectLast: id(wrong))
                Issue.record("a record expecting \(id(wrong)) last was stored after \(id(299))")
            } catch let failure as NatsFailure {
                #expect(failure.code == JSStreamWrongLastMsgIDErr, "\(failure)")
            }
        }
        let before = try client.streamState(stream)
        #expect(before.messages == 300 && before.lastSequence == 300)
        let leaderName = try #require(before.leader)
        let leader = try #require(cluster.nodes.first { $0.name == leaderName })

        await cluster.kill9(leader)
        // The next records, published while a new leader is elected: each retried until acked.
        for offset in 300..<400 {
            let published = try await retrying("offset \(offset)") {
                try client.publish(subject: subject, payload: payload(offset), messageID: id(offset), expectLast: id(offset - 1))
            }
            #expect(published.sequence == UInt64(offset + 1), "offset \(offset)")
        }
        try await cluster.restart(leader)
        // Every record is in the stream, read from the leader (a replica nats-server 2.9 left
        // behind after its restart can answer STREAM.INFO with its own, shorter, state).
        let stored = try await retrying("reading back") { try client.readFromLeader(stream, count: 400) }
        #expect(stored.count == 400 && stored.map(\.payload) == (0..<400).map(payload))
    }

    /// Retries `body` on failures a leader election causes (timeouts, no responders), for up to 30 s.
    private func retrying<T>(_ what: String, _ body: () throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                return try body()
            } catch let failure as NatsFailure where ContinuousClock.now < deadline && failure.isTransient {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
