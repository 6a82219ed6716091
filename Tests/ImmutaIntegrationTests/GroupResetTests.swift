import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import Testing

/// Every reset mode, as a dry run (a plan, nothing changes) and executed (the committed offset
/// moves and the next member starts there); refused while members are joined unless forced.
@Suite(.timeLimit(.minutes(15))) struct GroupResetTests {
    struct Fixture {
        let dir = TemporaryDirectory()
        let daemon: DaemonProcess
        let client: ImmutaClient
        /// Each record's append time.
        let timestamps: [Int64]

        init() async throws {
            daemon = try await DaemonProcess.start(in: dir.path)
            client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            try await client.createTopic("history", options: TopicOptions(durability: "none"))
            // Ten batches, so that records have ten distinct append times.
            for batch in 0..<10 {
                try await client.produce("history", (0..<10).map { Array("h-\(batch * 10 + $0)".utf8) }, ack: .write)
            }
            timestamps = try await GroupTesting.readAll(client, "history").map(\.timestamp)
            #expect(try await client.committedOffset("history", group: "replay", creatingAt: .offset(40)) == 40)
        }

        /// The first offset appended at or after `time`, computed from the records.
        func offset(atOrAfter time: Int64) -> UInt64 {
            UInt64(timestamps.firstIndex { $0 >= time } ?? timestamps.count)
        }

        /// A dry run reports the plan and changes nothing; executing moves the committed offset,
        /// and a member joining next starts there.
        func expectReset(
            _ target: GroupResetTarget, movesTo expected: UInt64, sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let current = try await client.describeGroup("history", group: "replay").committedOffset
            let plan = try await client.resetGroup("history", group: "replay", to: target, execute: false)
            #expect(
                plan.currentOffset == current && plan.targetOffset == expected && !plan.executed, "dry run of \(target): \(plan)",
                sourceLocation: sourceLocation)
            #expect(
                try await client.describeGroup("history", group: "replay").committedOffset == current, "a dry run changed the group",
                sourceLocation: sourceLocation)
            let executed = try await client.resetGroup("history", group: "replay", to: target, execute: true)
            #expect(
                executed.currentOffset == current && executed.targetOffset == expected && executed.executed,
                "reset to \(target): \(executed)", sourceLocation: sourceLocation)
            #expect(
                try await client.describeGroup("history", group: "replay").committedOffset == expected, sourceLocation: sourceLocation)
            // The next member starts at the new offset (without acking, so the offset stays).
            let member = try await client.joinGroup("history", group: "replay", from: .earliest, stopWhenIdle: true)
            #expect(member.committedOffset == expected, sourceLocation: sourceLocation)
            var iterator = member.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.record.offset == (expected < 100 ? expected : nil), "first delivery after reset to \(target)", sourceLocation: sourceLocation)
            try await member.leave()
            #expect(
                try await client.describeGroup("history", group: "replay").committedOffset == expected, sourceLocation: sourceLocation)
        }

        func finish() async {
            await client.close()
            #expect(await daemon.stop() == 0)
        }
    }

    @Test func everyResetModeAsDryRunAndExecuted() async throws {
        let fixture = try await Fixture()
        try await fixture.expectReset(.earliest, movesTo: 0)
        try await fixture.expectReset(.latest, movesTo: 100)
        try await fixture.expectReset(.offset(25), movesTo: 25)
        try await fixture.expectReset(.offset(0), movesTo: 0)
        try await fixture.expectReset(.offset(100), movesTo: 100)
        let time = fixture.timestamps[60]
        try await fixture.expectReset(.timestamp(nanosecondsSinceEpoch: time), movesTo: fixture.offset(atOrAfter: time))
        try await fixture.expectReset(.timestamp(nanosecondsSinceEpoch: time - 1), movesTo: fixture.offset(atOrAfter: time - 1))
        try await fixture.expectReset(.timestamp(nanosecondsSinceEpoch: 0), movesTo: 0)
        try await fixture.expectReset(.timestamp(nanosecondsSinceEpoch: .min), movesTo: 0)
        try await fixture.expectReset(.timestamp(nanosecondsSinceEpoch: fixture.timestamps[99] + 1), movesTo: 100)
        try await fixture.expectReset(.timestamp(nanosecondsSinceEpoch: .max), movesTo: 100)
        try await fixture.expectReset(.offset(50), movesTo: 50)
        try await fixture.expectReset(.shift(by: 10), movesTo: 60)
        try await fixture.expectReset(.shift(by: -35), movesTo: 25)
        try await fixture.expectReset(.shift(by: 0), movesTo: 25)
        // Shifts are clamped to the topic, however far they go.
        try await fixture.expectReset(.shift(by: 1000), movesTo: 100)
        try await fixture.expectReset(.shift(by: -1000), movesTo: 0)
        try await fixture.expectReset(.shift(by: .max), movesTo: 100)
        try await fixture.expectReset(.shift(by: .min), movesTo: 0)
        try await fixture.expectReset(.shift(by: .min + 1), movesTo: 0)
        await fixture.finish()
    }

    @Test func resetToAnOffsetOutsideTheTopicIsRefused() async throws {
        let fixture = try await Fixture()
        let client = fixture.client
        let before = try await client.describeGroup("history", group: "replay")
        for offset in [101, 1000, UInt64(Int64.max), UInt64.max] {
            for execute in [false, true] {
                await GroupTesting.expectError(
                    .offsetOutOfRange, mentioning: ["\(offset)", "0...100"], "reset to \(offset) (execute: \(execute))"
                ) {
                    _ = try await client.resetGroup("history", group: "replay", to: .offset(offset), execute: execute)
                }
            }
        }
        #expect(try await client.describeGroup("history", group: "replay") == before)
        await fixture.finish()
    }

    @Test func resetIsRefusedWhileMembersAreJoinedUnlessForced() async throws {
        let fixture = try await Fixture()
        let client = fixture.client
        let member = try await client.joinGroup("history", group: "replay")
        var iterator = member.makeAsyncIterator()
        var held: [GroupMessage] = []
        while held.count < 60, let message = try await iterator.next() { held.append(message) }
        #expect(held.map(\.record.offset) == Array(40..<100))
        held[0].ack()
        try await member.flushAcks()
        let before = try await client.describeGroup("history", group: "replay")
        #expect(before.committedOffset == 41 && before.inFlight == 59 && before.members.count == 1)

        for target in [GroupResetTarget.earliest, .latest, .offset(10), .shift(by: -5)] {
            await GroupTesting.expectError(.groupBusy, mentioning: ["replay", "active members", "force"], "reset to \(target)") {
                _ = try await client.resetGroup("history", group: "replay", to: target, execute: true)
            }
        }
        let after = try await client.describeGroup("history", group: "replay")
        #expect(after.committedOffset == before.committedOffset && after.inFlight == before.inFlight)

        // Forced: the offset moves, the member's held records are forgotten, and it is sent
        // records again from the new offset.
        let plan = try await client.resetGroup("history", group: "replay", to: .offset(10), execute: true, force: true)
        #expect(plan.currentOffset == 41 && plan.targetOffset == 10 && plan.executed)
        #expect(try await client.describeGroup("history", group: "replay").committedOffset == 10)
        var again: [GroupMessage] = []
        while again.count < 90, let message = try await iterator.next() { again.append(message) }
        #expect(again.map(\.record.offset) == Array(10..<100))
        #expect(again.allSatisfy { $0.deliveryCount == 1 })
        // Forced to the end: what the member held is no longer its to ack.
        let end = try await client.resetGroup("history", group: "replay", to: .latest, execute: true, force: true)
        #expect(end.currentOffset == 10 && end.targetOffset == 100 && end.executed)
        again[31].ack()
        await GroupTesting.expectError(.notHeld, mentioning: ["41"], "an ack of a record held before the forced reset") {
            try await member.flushAcks()
        }
        #expect(try await client.describeGroup("history", group: "replay").committedOffset == 100)
        await fixture.finish()
    }
}
