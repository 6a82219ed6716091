import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: reload.
extension AccessControlTests {
    @Test func aReloadChangesDecisionsWithoutDroppingConnections() async throws {
        let users = try await AccessUsers.ensure()
        let alice = users.alice
        let ops = """
                - name: ops administers
                  users: [immuta-t-ops]
                  allow: [admin]
                  topics: ["*"]

            """
        let webGrant = """
                - name: web produces orders
                  groups: [immuta-t-web]
                  allow: [produce]
                  topics: ["orders"]

            """
        let bobReads = """
                - name: bob reads the feed
                  users: [immuta-t-bob]
                  allow: [consume]
                  topics: ["feed"]

            """
        let alicePays = """
                - name: alice pays
                  users: [immuta-t-alice]
                  allow: [produce]
                  topics: ["payments"]

            """
        func config(_ grants: String...) -> String { "socket_mode: \"0666\"\naccess:\n  grants:\n" + grants.joined() }
        let daemon = try await AccessDaemon.start(config: config(webGrant, bobReads, ops))
        let client = try await daemon.rootClient()
        for topic in ["orders", "payments", "feed"] { try await client.createTopic(topic, options: TopicOptions(durability: "none")) }
        _ = try await client.produce("feed", [Array("feed-0".utf8)], ack: .write)
        // bob follows the feed: a long-running reader, waiting in a fetch when the rules change.
        let follower = try daemon.launch(users.bob, ["consume", "feed", "--follow", "--from", "earliest"])
        #expect(String(decoding: await follower.firstOutput(), as: UTF8.self).hasPrefix("feed-0"))

        let producer = try InteractiveProcess(alice, ["produce", "orders", "--batch", "1", "--ack", "write"], daemon: daemon)
        try producer.send("first\n")
        try await GroupTesting.eventually("alice's first record is stored") { try await client.describeTopic("orders").nextOffset == 1 }
        let connection = try #require(
            try await client.listConnections().first { $0.pid == producer.pid }, "the daemon lists alice's producer")
        #expect(connection.user == "immuta-t-alice" && connection.uid == alice.uid)
        try await daemon.expect(0, as: alice, ["acl", "check", "--topic", "orders", "--op", "produce"], says: ["allowed: "])

        // Take the grant away: the open connection stays, its next request is refused.
        try await daemon.reload(config: config(ops))
        #expect(daemon.daemon.output.contains("grants=1 limit_rules=0"), "the reload logs the rules in force")
        let after = try await client.listConnections()
        #expect(after.contains { $0.id == connection.id && $0.pid == producer.pid }, "alice's connection survived the reload: \(after)")
        #expect(producer.isRunning)
        _ = try await client.ping()
        try await daemon.expect(1, as: alice, ["acl", "check", "--topic", "orders", "--op", "produce"], says: ["denied: "])
        // bob's waiting fetch was allowed when it was sent; a new record ends it, and his next
        // fetch is refused.
        _ = try await client.produce("feed", [Array("feed-1".utf8)], ack: .write)
        let followed = try await withDeadline("bob's follower to end") { await follower.finish() }
        #expect(followed.status == 77, "\(followed.stderr)")
        #expect(followed.stderr.contains("permission denied: \(users.bob.who) may not consume topic feed"), "\(followed.stderr)")
        try producer.send("second\n")
        producer.closeInput()
        #expect(try await producer.waitForExit() == 77)
        let complaint = producer.stderr.lines.joined(separator: "\n")
        #expect(complaint.contains("permission denied: \(alice.who) may not produce to topic orders"), "\(complaint)")
        #expect(try await GroupTesting.readAll(client, "orders").map(\.string) == ["first"])
        try await GroupTesting.eventually("the daemon drops alice's ended connection") {
            try await !client.listConnections().contains { $0.id == connection.id }
        }

        // Add a grant: what was refused before is allowed on the next run.
        try await daemon.expect(77, as: alice, ["produce", "payments"], stdin: "p0\n", says: ["\(alice.who) may not produce to topic payments"])
        try await daemon.reload(config: config(ops, alicePays))
        try await daemon.expect(0, as: alice, ["produce", "payments"], stdin: "p1\n", says: ["produced 1 record to payments"])
        try await daemon.expect(77, as: alice, ["produce", "orders"], stdin: "o\n", says: ["\(alice.who) may not produce to topic orders"])
        #expect(try await GroupTesting.readAll(client, "payments").map(\.string) == ["p1"])
        // The root client opened before both reloads still works.
        _ = try await client.ping()
        #expect(daemon.reloadCount == 2)
        await client.close()
        #expect(await daemon.daemon.stop() == 0)
    }
}

extension AccessControlTests {
    /// A group membership opened under a grant that a reload removes ends at once, with
    /// `permission_denied` on its id (it needs no further request to keep receiving); one the
    /// new rules still allow goes on.
    @Test func aReloadEndsTheMembershipsItNoLongerAllows() async throws {
        let users = try await AccessUsers.ensure()
        func config(bobReads: Bool) -> String {
            var text = "socket_mode: \"0666\"\naccess:\n  grants:\n"
            text += "    - name: alice reads\n      users: [immuta-t-alice]\n      allow: [consume]\n      topics: [feed]\n"
            if bobReads { text += "    - name: bob reads\n      users: [immuta-t-bob]\n      allow: [consume]\n      topics: [feed]\n" }
            return text
        }
        let daemon = try await AccessDaemon.start(config: config(bobReads: true))
        let client = try await daemon.rootClient()
        try await client.createTopic("feed", options: TopicOptions(durability: "none"))
        let bob = try daemon.launch(users.bob, ["consume", "feed", "--group", "bob-g", "--from", "earliest", "--follow"])
        let alice = try daemon.launch(users.alice, ["consume", "feed", "--group", "alice-g", "--from", "earliest", "--follow"])
        for group in ["bob-g", "alice-g"] {
            try await GroupTesting.eventually("\(group) has its member") {
                (try? await client.describeGroup("feed", group: group))?.members.isEmpty == false
            }
        }
        try await daemon.reload(config: config(bobReads: false))
        let ended = try await withDeadline("bob's member to be ended by the reload", timeout: .seconds(30)) { await bob.finish() }
        #expect(ended.status == 77, "\(ended.stderr)")
        #expect(ended.stderr.contains("\(users.bob.who) may no longer consume topic feed in group bob-g"), "\(ended.stderr)")
        #expect(try await client.describeGroup("feed", group: "bob-g").members.isEmpty)
        #expect(daemon.daemon.output.contains("detail=\"revoked by a reload\""), "\(daemon.daemon.output)")
        // Alice's membership is untouched: a record produced now still reaches her.
        _ = try await client.produce("feed", [Array("after".utf8)], ack: .write)
        try await GroupTesting.eventually("alice's member acknowledges the new record") {
            try await client.describeGroup("feed", group: "alice-g").committedOffset == 1
        }
        alice.signal(SIGTERM)
        _ = await alice.finish()
        await client.close()
        #expect(await daemon.daemon.stop() == 0)
    }
}
