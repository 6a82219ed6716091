// `@testable` only to send acks in orders the client library never uses.
@testable import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import Testing

/// The group handles an ack list in delivery order on a fast path; lists in any other order, and
/// lists naming an offset twice, take the general one. Either way the committed offset must be
/// the lowest offset not yet acknowledged.
@Suite(.timeLimit(.minutes(10))) struct GroupAckOrderTests {
    @Test func acksInAnyOrderMoveTheCommittedOffsetToTheFirstUnacked() async throws {
        let fixture = try await GroupBadInputTests.Fixture(records: 700)
        let client = fixture.client
        let consumer = try await client.joinGroup(
            "work", group: "order", from: .earliest, options: GroupOptions(maxInFlight: 64, ackTimeout: .seconds(3600)))
        var iterator = consumer.makeAsyncIterator()
        var random = SeededGenerator(seed: 31)
        var acked = Set<UInt64>()
        var held: [UInt64] = []
        var delivered: UInt64 = 0
        for round in 0..<40 {
            // Top up what the member holds (the group refills it as acks make room).
            while held.count < 64 && delivered < 700, let message = try await iterator.next() {
                #expect(message.record.offset == delivered, "round \(round)")
                held.append(message.record.offset)
                delivered += 1
            }
            guard !held.isEmpty else { break }
            held.shuffle(using: &random)
            var chunk = Array(held.prefix(Int.random(in: 1...min(held.count, 24), using: &random)))
            switch round % 3 {
            case 0: chunk.sort()
            case 1: chunk.sort(by: >)
            default: break  // shuffled
            }
            if chunk.count >= 2 {
                // The same offset twice, adjacent (sorted, but not strictly) or apart: refused, nothing acked.
                for twice in [chunk + [chunk[chunk.count - 1]], [chunk[0]] + chunk] {
                    await GroupTesting.expectError(.invalidRequest, mentioning: ["twice"], "round \(round): \(twice)") {
                        try await GroupBadInputTests.ack(client, member: consumer.memberID, twice)
                    }
                }
            }
            try await GroupBadInputTests.ack(client, member: consumer.memberID, chunk)
            acked.formUnion(chunk)
            held.removeAll { acked.contains($0) }
            var expected: UInt64 = 0
            while acked.contains(expected) { expected += 1 }
            let committed = try await client.describeGroup("work", group: "order").committedOffset
            #expect(committed == expected, "round \(round): acked \(chunk)")
        }
        #expect(acked.count > 300)
        await fixture.finish()
    }
}
