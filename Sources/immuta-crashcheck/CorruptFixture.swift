import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport

/// The data directory the `corrupt` scenario damages: one topic of several small segments
/// produced with fsync, a manual-commit group with a history of commits, and a managed group,
/// written by a real immutad that is then stopped cleanly. Kept as a pristine copy.
struct CorruptFixture {
    static let topic = "gamma"
    static let manualGroup = "manual"
    static let managedGroup = "managed"

    let ledger = TopicLedger(topic: topic)
    /// The offset of the first record of each batch, ascending.
    var batchStarts: [UInt64] = []
    /// Every offset the manual group committed, in order (the first is its starting offset 0).
    var manualCommits: [UInt64] = [0]
    var managedCommitted: UInt64 = 0

    static func build(with launcher: DaemonLauncher, seed: UInt64) async throws -> CorruptFixture {
        var fixture = CorruptFixture()
        var random = SeededGenerator(seed: seed, stream: 2)
        guard case .ready(let daemon) = try await launcher.start() else { throw CheckerError("immutad did not start on an empty directory") }
        defer { if daemon.isRunning { daemon.signal(SIGKILL) } }
        let client = try await ImmutaClient.connect(socketPath: launcher.socketPath)
        _ = try await client.createTopic(topic, options: TopicOptions(durability: "fsync", segmentBytes: 64 << 10))
        _ = try await client.committedOffset(topic, group: manualGroup, creatingAt: .earliest)
        for batch in 1...90 {
            let id = "fixture.\(batch)"
            let payloads = Payloads.batch(id: id, count: Int.random(in: 1...6, using: &random), using: &random, sizes: 40...1600)
            fixture.ledger.sending(id, payloads)
            let result = try await client.produce(topic, payloads, ack: .fsync)
            if let problem = fixture.ledger.acknowledged(id, firstOffset: result.firstOffset, count: result.count) {
                throw CheckerError("building the corrupt fixture: \(problem)")
            }
            fixture.batchStarts.append(result.firstOffset)
            if batch % 5 == 0 {
                try await client.commit(topic, group: manualGroup, offset: result.firstOffset)
                fixture.manualCommits.append(result.firstOffset)
            }
        }
        fixture.managedCommitted = try await consumeHalf(client)
        await client.close()
        guard await DaemonLauncher.stop(daemon) == 0 else { throw CheckerError("immutad did not stop cleanly after building the fixture") }
        return fixture
    }

    /// Acks the first half of the topic through a managed member; returns the group's commit.
    private static func consumeHalf(_ client: ImmutaClient) async throws -> UInt64 {
        let end = try await client.describeTopic(topic).nextOffset
        let consumer = try await client.joinGroup(topic, group: managedGroup, from: .earliest)
        for try await message in consumer {
            message.ack()
            if message.record.offset >= end / 2 { break }
        }
        try await consumer.leave()
        return try await client.describeGroup(topic, group: managedGroup).committedOffset
    }

    /// The lowest offset a damage at `offset` may take away: the start of its batch, since
    /// recovery and repair cut whole batches.
    func lossBound(forDamageAt offset: UInt64) -> UInt64 {
        batchStarts.last { $0 <= offset } ?? 0
    }
}
