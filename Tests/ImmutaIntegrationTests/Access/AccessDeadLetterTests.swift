import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: the dead-letter topic.
extension AccessControlTests {
    /// A consumer group's dead-letter topic is written by the daemon on the member's behalf: a
    /// user who may only consume must not get records into a topic it may not produce to, nor a
    /// topic created that it may not administer.
    @Test func aDeadLetterTopicDoesNotLetAConsumerWriteOrCreateTopics() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config())
        try await AccessFixture.populate(daemon)
        let client = try await daemon.rootClient()
        for (group, target) in [("bob-dl1", "payments"), ("bob-dl2", "bobs-own-topic")] {
            let member = try InteractiveProcess(
                executable: AccessTesting.setpriv,
                users.bob.setprivOptions + [
                    "--", TestBinaries.path("immuta-group-member"), daemon.socket, "orders", group, "--from", "earliest",
                    "--max-deliveries", "1", "--dead-letter-topic", target, "--nack-all", "--stop-when-idle",
                ], environment: [:])
            member.closeInput()
            let status = try await member.waitForExit()
            #expect(status != 0, "bob joined \(group) with dead-letter topic \(target): \(member.stdout.lines)")
            #expect(member.stderr.lines.joined(separator: "\n").contains("permission denied"), "\(member.stderr.lines)")
            let topics = try await client.listTopics().map(\.name)
            #expect(try await GroupTesting.readAll(client, "payments").map(\.string) == ["payments-0"])
            #expect(!topics.contains("bobs-own-topic"), "\(topics)")
            #expect(!(try await client.listGroups().map(\.group)).contains(group), "the refused join created no group")
        }
        // The default dead-letter topic, derived from the consumed topic, needs no grant of its own.
        let member = try InteractiveProcess(
            executable: AccessTesting.setpriv,
            users.bob.setprivOptions + [
                "--", TestBinaries.path("immuta-group-member"), daemon.socket, "orders", "bob-dl3", "--from", "earliest",
                "--max-deliveries", "1", "--nack-all", "--stop-when-idle",
            ], environment: [:])
        member.closeInput()
        #expect(try await member.waitForExit() == 0, "\(member.stderr.lines)")
        try await GroupTesting.eventually("bob's nacked records reach orders.dlq") {
            try await client.describeGroup("orders", group: "bob-dl3").deadLettered > 0
        }
        await client.close()
        #expect(await daemon.daemon.stop() == 0)
    }
}

extension AccessControlTests {
    /// The daemon creates a group's default dead-letter topic under `max_topics`, owned by the
    /// group's creator and audited: a consume-only user cannot chain `t.dlq.dlq…` topics past it.
    @Test func aDeadLetterTopicIsCreatedUnderTheTopicLimitAndOwnedByTheGroupsCreator() async throws {
        let users = try await AccessUsers.ensure()
        let config = AccessFixture.config(extra: "max_topics: 7\n")
        let daemon = try await AccessDaemon.start(config: config)
        try await AccessFixture.populate(daemon)
        let client = try await daemon.rootClient()
        let before = try await client.listTopics().count
        #expect(before < 7, "the fixture leaves room for dead-letter topics")
        func nackAll(_ topic: String, _ group: String) async throws {
            let member = try InteractiveProcess(
                executable: AccessTesting.setpriv,
                users.bob.setprivOptions + [
                    "--", TestBinaries.path("immuta-group-member"), daemon.socket, topic, group, "--from", "earliest",
                    "--max-deliveries", "1", "--nack-all", "--stop-when-idle",
                ], environment: [:])
            member.closeInput()
            _ = try await member.waitForExit()
        }
        // Each level's dead-letter topic is the next level's source, until max_topics stops it.
        var topic = "orders"
        var level = 0
        while try await client.listTopics().count < 7, level < 10 {
            try await nackAll(topic, "bob-chain\(level)")
            try await GroupTesting.eventually("\(topic).dlq exists") {
                try await client.listTopics().contains { $0.name == topic + ".dlq" }
            }
            let metadata = try String(contentsOfFile: daemon.daemon.dataDirectory + "/topics/\(topic).dlq/topic.json", encoding: .utf8)
            #expect(metadata.contains("\"owner_uid\" : \(users.bob.uid)"), "\(metadata)")
            #expect(daemon.daemon.output.contains("op=create_topic") && daemon.daemon.output.contains("topic=\(topic).dlq"))
            topic += ".dlq"
            level += 1
        }
        #expect(try await client.listTopics().count == 7)
        // At the limit, the next dead letter is refused and its record kept for redelivery.
        let member = try InteractiveProcess(
            executable: AccessTesting.setpriv,
            users.bob.setprivOptions + [
                "--", TestBinaries.path("immuta-group-member"), daemon.socket, topic, "bob-over", "--from", "earliest",
                "--max-deliveries", "1", "--nack-all", "--count", "3",
            ], environment: [:])
        member.closeInput()
        try await daemon.daemon.waitForOutput(containing: "the dead-letter topic \(topic).dlq cannot be created")
        #expect(try await client.listTopics().count == 7)
        #expect(try await client.describeGroup(topic, group: "bob-over").deadLettered == 0)
        // The member would take its records back forever: end it, and wait for it, so that no
        // child is left running (or its Process object held) when the runner exits.
        kill(member.pid, SIGKILL)
        _ = try await member.waitForExit()
        await client.close()
        #expect(await daemon.daemon.stop() == 0)
    }
}
