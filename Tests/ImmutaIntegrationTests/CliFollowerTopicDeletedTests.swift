import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A follower whose topic is deleted ends with an error, whether it follows alone or in a group
/// (CLI.md, consume): a group member used to stay joined to the vanished group, silent forever.
@Suite(.timeLimit(.minutes(5))) struct CliFollowerTopicDeletedTests {
    @Test(arguments: [["--follow"], ["--group", "g", "--follow"], ["--group", "g", "--from", "earliest", "--follow"]])
    func aFollowerEndsWhenItsTopicIsDeleted(options: [String]) async throws {
        let cli = try await CliDaemon()
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        try await client.createTopic("t", options: TopicOptions(durability: "none"))
        _ = try await client.produce("t", [Array("one".utf8)], ack: .write)
        let follower = try CliProcess(["consume", "t"] + options, socket: cli.socket)
        try await GroupTesting.eventually("the follower is connected") {
            try await client.listConnections().contains { $0.pid == follower.pid }
        }
        if options.contains("--group") {
            try await GroupTesting.eventually("the member has joined") {
                (try? await client.describeGroup("t", group: "g"))?.members.isEmpty == false
            }
        }
        try await client.deleteTopic("t")
        let ended = try await withDeadline("the follower to end", timeout: .seconds(30)) { await follower.finish() }
        #expect(ended.status == 1, "\(options): \(ended.stderr)")
        #expect(ended.stderr.contains("[topic_not_found (11)]"), "\(options): \(ended.stderr)")
        await client.close()
        #expect(await cli.daemon.stop() == 0)
    }
}
