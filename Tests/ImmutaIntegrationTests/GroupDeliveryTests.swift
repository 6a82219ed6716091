import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import Testing

/// Managed delivery with real member processes: every record reaches one member, what a member
/// loses (SIGKILL, ack timeout) reaches another, and the committed offset follows the acks.
@Suite(.timeLimit(.minutes(15))) struct GroupDeliveryTests {
    /// Two member processes share a topic: together they see every record exactly once, each in
    /// offset order, and the group commits the end.
    @Test func twoMembersSeeEveryRecordExactlyOnceInOrder() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("orders", options: TopicOptions(durability: "none"))
        let total = 3000
        // Members hold at most 50 records each, so neither can take the whole topic alone. Both
        // join before anything is produced.
        var members: [MemberProcess] = []
        for name in ["a", "b"] {
            let member = try MemberProcess(
                socket: daemon.socketPath, topic: "orders", group: "billing", arguments: ["--from", "earliest", "--max-in-flight", "50"],
                label: "member-\(name)")
            try await member.waitUntilJoined()
            members.append(member)
        }
        try await GroupTesting.produce(client, "orders", (0..<total).map { "order-\($0)" }, batch: 25)

        let all = Set(0..<UInt64(total))
        let joined = members
        try await MemberProcess.waitUntil(joined, "every offset between them") { seen in
            Set(seen.joined().map(\.offset)).isSuperset(of: all)
        }
        try await GroupTesting.eventually("the group committed the end") {
            try await client.describeGroup("orders", group: "billing").committedOffset == UInt64(total)
        }
        let seen = members.map(\.records)
        for (member, records) in zip(members, seen) {
            let offsets = records.map(\.offset)
            #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count, "\(member.label) saw its records out of order or twice")
            #expect(records.allSatisfy { $0.delivery == 1 && $0.payload == "order-\($0.offset)" })
            #expect(!records.isEmpty, "\(member.label) received nothing: the group did not share the records")
        }
        #expect(seen.map(\.count).reduce(0, +) == total, "some record was delivered twice")
        let description = try await client.describeGroup("orders", group: "billing")
        #expect(description.inFlight == 0 && description.redelivered == 0 && description.lag == 0)
        #expect(description.members.count == 2)
        for member in members { member.signal(SIGTERM) }
        for member in members { _ = await member.waitForExit() }
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    /// Members waiting at the end of the topic get every record of a producer that produces one
    /// record at a time (each new record must wake the group, even one that arrives while the
    /// group is busy handing out the previous ones).
    @Test func membersKeepUpWithAProducerOfSingleRecords() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("ticks", options: TopicOptions(durability: "none"))
        var members: [MemberProcess] = []
        for name in ["a", "b"] {
            let member = try MemberProcess(socket: daemon.socketPath, topic: "ticks", group: "clock", arguments: ["--from", "earliest"], label: name)
            try await member.waitUntilJoined()
            members.append(member)
        }
        let total = 2000
        // Four producers at once, one record per produce.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<4 {
                group.addTask {
                    for tick in stride(from: producer, to: total, by: 4) {
                        try await client.produce("ticks", [Array("tick-\(tick)".utf8)], ack: .write)
                    }
                }
            }
            try await group.waitForAll()
        }
        let joined = members
        try await MemberProcess.waitUntil(joined, "every tick", timeout: .seconds(30)) { seen in
            Set(seen.joined().map(\.offset)).count == total
        }
        #expect(members.map(\.records.count).reduce(0, +) == total)
        // The members take turns: each got a fair share of the ticks.
        for member in members {
            #expect(member.records.count > total / 4, "\(member.label) got \(member.records.count) of \(total) records")
        }
        try await GroupTesting.eventually("the group committed every tick") {
            try await client.describeGroup("ticks", group: "clock").committedOffset == UInt64(total)
        }
        for member in members { member.signal(SIGTERM) }
        for member in members { _ = await member.waitForExit() }
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    /// A member killed with SIGKILL while it holds records: they go to the survivor, which acks
    /// them, and the committed offset reaches the end of the topic.
    @Test func recordsOfAKilledMemberReachTheSurvivor() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("jobs", options: TopicOptions(durability: "none"))
        let total = 1000
        try await GroupTesting.produce(client, "jobs", (0..<total).map { "job-\($0)" })

        let doomed = try MemberProcess(
            socket: daemon.socketPath, topic: "jobs", group: "workers", arguments: ["--no-ack", "--max-in-flight", "120"], label: "doomed")
        let held = try await doomed.waitForRecords(120)
        #expect(held.map(\.offset) == Array(0..<120))
        let survivor = try MemberProcess(socket: daemon.socketPath, topic: "jobs", group: "workers", label: "survivor")
        // The survivor takes the rest while the doomed member holds its 120.
        try await survivor.waitForOffsets(Set(120..<UInt64(total)))
        var description = try await client.describeGroup("jobs", group: "workers")
        #expect(description.committedOffset == 0, "nothing below the held records may be committed")
        #expect(description.members.count == 2)

        await doomed.kill9()
        let records = try await survivor.waitForOffsets(Set(0..<UInt64(total)))
        let redelivered = records.filter { $0.offset < 120 }
        #expect(redelivered.map(\.offset) == Array(0..<120), "the survivor got the killed member's records once each, in order")
        #expect(redelivered.allSatisfy { $0.delivery == 2 && $0.payload == "job-\($0.offset)" })
        #expect(records.count == total)
        try await GroupTesting.eventually("the group committed the end of the topic") {
            try await client.describeGroup("jobs", group: "workers").committedOffset == UInt64(total)
        }
        description = try await client.describeGroup("jobs", group: "workers")
        #expect(description.members.count == 1 && description.inFlight == 0 && description.redelivered == 120)
        survivor.signal(SIGTERM)
        _ = await survivor.waitForExit()
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    /// A member that holds records past the group's ack timeout loses them to another member, and
    /// its late ack is refused with notHeld.
    @Test func ackTimeoutMovesRecordsToAnotherMember() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("slow", options: TopicOptions(durability: "none"))

        // The holder creates the group and joins first; the other member joins before anything
        // is produced, so nothing depends on how fast its process starts.
        let holder = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "holder")
        let consumer = try await holder.joinGroup(
            // Stretched under a sanitizer, where the other member did not take a timed-out record
            // before its second timeout passed too.
            "slow", group: "timed", from: .earliest, options: GroupOptions(maxInFlight: 20, ackTimeout: TestBudget.time(.seconds(1))))
        let other = try MemberProcess(socket: daemon.socketPath, topic: "slow", group: "timed", label: "other")
        try await other.waitUntilJoined()

        // The holder has the first turn and takes all it may (20), and never acks them.
        try await GroupTesting.produce(client, "slow", (0..<20).map { "task-\($0)" })
        var iterator = consumer.makeAsyncIterator()
        var held: [GroupMessage] = []
        while held.count < 20, let message = try await iterator.next() { held.append(message) }
        #expect(held.map(\.record.offset) == Array(0..<20))
        // The next record goes to the other member, which acks it: the holder has the next turn.
        try await GroupTesting.produce(client, "slow", ["task-20"])
        try await other.waitForOffsets([20])
        try await GroupTesting.eventually("the other member's ack is applied") {
            try await client.describeGroup("slow", group: "timed").inFlight <= 20
        }

        // Once the timeout passed, the holder's records go to the other member, not back to the
        // holder (although its turn comes first).
        let taken = try await other.waitForOffsets(Set(0...20))
        #expect(taken.count == 21)
        #expect(taken.allSatisfy { $0.delivery == ($0.offset < 20 ? 2 : 1) && $0.payload == "task-\($0.offset)" }, "\(taken)")
        try await GroupTesting.eventually("the other member's acks are committed") {
            try await client.describeGroup("slow", group: "timed").committedOffset == 21
        }
        let before = try await client.describeGroup("slow", group: "timed")

        held[3].ack()
        await GroupTesting.expectError(.notHeld, mentioning: ["3", "not held", "ack timeout"], "a late ack") {
            try await consumer.flushAcks()
        }
        let after = try await client.describeGroup("slow", group: "timed")
        #expect(after.committedOffset == before.committedOffset && after.inFlight == before.inFlight)
        other.signal(SIGTERM)
        _ = await other.waitForExit()
        await holder.close()
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    /// With stopWhenIdle a member ends once the end of the topic is reached and it holds nothing,
    /// and not before.
    @Test func stopWhenIdleEndsAtTheEndOfTheTopic() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("batch", options: TopicOptions(durability: "none"))
        try await GroupTesting.produce(client, "batch", (0..<300).map { "item-\($0)" })

        // A process: prints everything, acks it, and exits by itself.
        let member = try MemberProcess(
            socket: daemon.socketPath, topic: "batch", group: "nightly", arguments: ["--stop-when-idle", "--max-in-flight", "64"])
        #expect(await member.waitForExit() == 0)
        #expect(member.records.map(\.offset) == Array(0..<300))
        #expect(member.stdout.lines.last == "end received=300")
        #expect(try await client.describeGroup("batch", group: "nightly").committedOffset == 300)

        // In process: holding records keeps the member going; acking the last one ends it.
        try await GroupTesting.produce(client, "batch", (300..<310).map { "item-\($0)" })
        let consumer = try await client.joinGroup("batch", group: "nightly", stopWhenIdle: true)
        var iterator = consumer.makeAsyncIterator()
        var held: [GroupMessage] = []
        while held.count < 10, let message = try await iterator.next() { held.append(message) }
        #expect(held.map(\.record.offset) == Array(300..<310))
        let holding = try await client.describeGroup("batch", group: "nightly")
        #expect(holding.members.count == 1 && holding.inFlight == 10 && holding.committedOffset == 300)
        for message in held { message.ack() }
        #expect(try await iterator.next() == nil)
        #expect(try await client.describeGroup("batch", group: "nightly").committedOffset == 310)
        try await consumer.leave()

        // A member joining a group that is at the end ends right away.
        let idle = try await client.joinGroup("batch", group: "nightly", stopWhenIdle: true)
        var count = 0
        for try await _ in idle { count += 1 }
        #expect(count == 0)
        try await idle.leave()
        await client.close()
        #expect(await daemon.stop() == 0)
    }
}
