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
