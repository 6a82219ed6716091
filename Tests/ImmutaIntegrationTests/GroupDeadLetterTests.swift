import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// A record that always fails is delivered max-deliveries times, then copied to the dead-letter
/// topic, and the group moves on past it.
@Suite(.timeLimit(.minutes(15))) struct GroupDeadLetterTests {
    @Test func aRecordThatAlwaysFailsReachesTheDeadLetterTopic() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("payments", options: TopicOptions(durability: "none"))
        let poison = "poison {\"amount\": -1}"
        try await GroupTesting.produce(client, "payments", [poison])

        // A member that nacks everything sees the record three times; then it is dead-lettered.
        let failing = try MemberProcess(
            socket: daemon.socketPath, topic: "payments", group: "settle", arguments: ["--nack-all", "--max-deliveries", "3"],
            label: "failing")
        let attempts = try await failing.waitForRecords(3)
        #expect(attempts.map(\.offset) == [0, 0, 0])
        #expect(attempts.map(\.delivery) == [1, 2, 3])
        #expect(attempts.allSatisfy { $0.payload == poison })
        try await GroupTesting.eventually("the group dead-lettered the record and committed past it") {
            let description = try await client.describeGroup("payments", group: "settle")
            return description.deadLettered == 1 && description.committedOffset == 1
        }
        let dead = try await client.fetch("payments.dlq", from: .earliest, maxRecords: 10)
        #expect(dead.records.map(\.string) == [poison])
        #expect(dead.records.map(\.bytes) == [Array(poison.utf8)])
        #expect(failing.records.count == 3, "a dead-lettered record is not delivered again")
        await failing.kill9()

        // The group moves on: a healthy member gets the later records, not the dead one.
        try await GroupTesting.produce(client, "payments", ["ok-1", "ok-2", "ok-3"])
        let healthy = try MemberProcess(
            socket: daemon.socketPath, topic: "payments", group: "settle", arguments: ["--stop-when-idle"], label: "healthy")
        #expect(await healthy.waitForExit() == 0)
        #expect(healthy.records.map(\.offset) == [1, 2, 3])
        #expect(healthy.records.map(\.payload) == ["ok-1", "ok-2", "ok-3"])
        let description = try await client.describeGroup("payments", group: "settle")
        #expect(description.committedOffset == 4 && description.deadLettered == 1 && description.maxDeliveries == 3)
        #expect(try await client.describeTopic("payments.dlq").nextOffset == 1)
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    /// Poison records mixed with good ones, with a custom dead-letter topic: the poison ones land
    /// there in order with their payloads, every good one is processed, and the group commits the end.
    @Test func poisonRecordsAmongGoodOnesAreDeadLetteredInOrder() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("events", options: TopicOptions(durability: "none"))
        let payloads = (0..<200).map { $0 % 37 == 5 ? "poison-\($0)" : "good-\($0)" }
        try await GroupTesting.produce(client, "events", payloads, batch: 13)

        let consumer = try await client.joinGroup(
            "events", group: "strict", from: .earliest, options: GroupOptions(maxDeliveries: 3, deadLetterTopic: "events-rejected"),
            stopWhenIdle: true)
        var processed: [UInt64] = []
        var attempts: [UInt64: Int] = [:]
        for try await message in consumer {
            attempts[message.record.offset, default: 0] += 1
            #expect(message.deliveryCount == attempts[message.record.offset])
            if message.record.string.hasPrefix("poison") {
                message.nack()
            } else {
                processed.append(message.record.offset)
                message.ack()
            }
        }
        let poisoned = payloads.indices.filter { payloads[$0].hasPrefix("poison") }.map(UInt64.init)
        #expect(processed.sorted() == (0..<200).filter { !poisoned.contains($0) })
        #expect(poisoned.allSatisfy { attempts[$0] == 3 })
        let dead = try await GroupTesting.readAll(client, "events-rejected")
        #expect(dead.map(\.string) == poisoned.map { "poison-\($0)" })
        let description = try await client.describeGroup("events", group: "strict")
        #expect(description.committedOffset == 200 && description.deadLettered == UInt64(poisoned.count))
        #expect(try await client.listTopics().map(\.name).contains("events.dlq") == false)
        try await consumer.leave()
        await client.close()
        #expect(await daemon.stop() == 0)
    }
    /// When the dead-letter topic refuses the record (here its records may be 8 bytes at most), the
    /// record is not dropped: the group keeps delivering it and does not commit past it, and once
    /// the dead-letter topic takes it, it lands there.
    @Test func aRecordTheDeadLetterTopicRefusesIsNotLost() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("uploads", options: TopicOptions(durability: "none"))
        try await client.createTopic("uploads.dlq", options: TopicOptions(durability: "none", maxRecordBytes: 8))
        let poison = "a payload longer than eight bytes"
        try await GroupTesting.produce(client, "uploads", [poison])

        let failing = try MemberProcess(
            socket: daemon.socketPath, topic: "uploads", group: "scan", arguments: ["--nack-all", "--max-deliveries", "2"], label: "failing")
        // Past its max deliveries the record is still delivered, since it cannot be dead-lettered.
        let attempts = try await failing.waitForRecords(5)
        #expect(attempts.prefix(5).map(\.delivery) == [1, 2, 3, 4, 5])
        #expect(attempts.allSatisfy { $0.offset == 0 && $0.payload == poison })
        var description = try await client.describeGroup("uploads", group: "scan")
        #expect(description.committedOffset == 0 && description.deadLettered == 0)
        #expect(try await client.describeTopic("uploads.dlq").nextOffset == 0)

        // With a dead-letter topic that takes it, the next attempt moves it there.
        try await client.deleteTopic("uploads.dlq")
        try await GroupTesting.eventually("the record reached the recreated dead-letter topic") {
            (try? await client.describeTopic("uploads.dlq").nextOffset) == 1
        }
        #expect(try await client.fetch("uploads.dlq", from: .earliest).records.map(\.string) == [poison])
        try await GroupTesting.eventually("the group committed past the record") {
            description = try await client.describeGroup("uploads", group: "scan")
            return description.committedOffset == 1 && description.deadLettered == 1
        }
        await failing.kill9()
        await client.close()
        #expect(await daemon.stop() == 0)
    }
}
