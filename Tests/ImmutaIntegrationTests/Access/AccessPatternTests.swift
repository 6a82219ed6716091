import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: globs, prefixes, supplementary groups, numeric uids, everyone.
extension AccessControlTests {
    @Test func prefixesGlobsSupplementaryGroupsNumericUIDsAndEveryone() async throws {
        let users = try await AccessUsers.ensure()
        let (alice, bob, nameless, stranger) = (users.alice, users.bob, users.nameless, users.stranger)
        let config = """
            socket_mode: "0666"
            access:
              grants:
                - name: web team
                  groups: [immuta-t-web]
                  allow: [produce]
                  topics: ["web.*"]
                - name: web by gid
                  groups: ["\(users.webGID)"]
                  allow: [consume]
                  topics: ["web.[a-m]*"]
                - name: numeric uid
                  users: ["54321"]
                  allow: [consume]
                  topics: ["metrics.?"]
                - name: everyone reads public
                  users: ["*"]
                  allow: [consume]
                  topics: ["public"]
                - name: bob's sandbox
                  users: [immuta-t-bob]
                  allow: [all]
                  topics: ["bob.*"]

            """
        let daemon = try await AccessDaemon.start(config: config)
        let client = try await daemon.rootClient()
        for topic in ["web.x", "web.alpha", "web.zeta", "metrics.1", "metrics.10", "public", "bobx"] {
            try await client.createTopic(topic, options: TopicOptions(durability: "none"))
            _ = try await client.produce(topic, [Array("\(topic)-0".utf8)], ack: .write)
        }

        // alice's primary group is her own: immuta-t-web is only a supplementary group.
        #expect(alice.gid != users.webGID)
        let aliceStatus = try await daemon.expect(0, as: alice, ["status", "--json"])
        let me = try #require(try aliceStatus.result.json() as? [String: Any])
        let you = try #require(me["you"] as? [String: Any])
        #expect((you["gid"] as? NSNumber)?.uint32Value == alice.gid && (you["uid"] as? NSNumber)?.uint32Value == alice.uid)
        #expect(you["user"] as? String == "immuta-t-alice" && (you["pid"] as? NSNumber)?.int32Value == aliceStatus.pid, "\(me)")
        #expect((you["groups"] as? [String])?.contains("immuta-t-web(\(users.webGID))") == true, "\(me)")
        // A process that dropped its supplementary groups is still judged by the user database.
        let dropped = alice.withoutSupplementaryGroups
        let droppedRun = try await daemon.expect(0, as: dropped, ["status", "--json"])
        let droppedStatus = try #require(try droppedRun.result.json() as? [String: Any])
        #expect(((droppedStatus["you"] as? [String: Any])?["groups"] as? [String])?.contains("immuta-t-web(\(users.webGID))") == true)

        struct Case {
            var user: TestUser
            var arguments: [String]
            var stdin: String?
            var status: Int32
            var says: String
        }
        func consume(_ topic: String) -> [String] { ["consume", topic, "--from", "earliest"] }
        let cases: [Case] = [
            Case(user: alice, arguments: ["produce", "web.x"], stdin: "a\n", status: 0, says: "produced 1 record to web.x"),
            Case(user: dropped, arguments: ["produce", "web.x"], stdin: "d\n", status: 0, says: "produced 1 record to web.x"),
            Case(user: bob, arguments: ["produce", "web.x"], stdin: "b\n", status: 77, says: "\(bob.who) may not produce to topic web.x"),
            // The numeric gid grant: web.[a-m]*.
            Case(user: alice, arguments: consume("web.alpha"), status: 0, says: "web.alpha-0"),
            Case(user: alice, arguments: consume("web.zeta"), status: 77, says: "\(alice.who) may not consume topic web.zeta"),
            Case(user: alice, arguments: consume("web.x"), status: 77, says: "\(alice.who) may not consume topic web.x"),
            Case(user: bob, arguments: consume("web.alpha"), status: 77, says: "\(bob.who) may not consume topic web.alpha"),
            // A uid without a name, granted by number; `?` is one character.
            Case(user: nameless, arguments: consume("metrics.1"), status: 0, says: "metrics.1-0"),
            Case(user: nameless, arguments: consume("metrics.10"), status: 77, says: "uid 54321 may not consume topic metrics.10"),
            Case(user: stranger, arguments: consume("metrics.1"), status: 77, says: "uid 54322 may not consume topic metrics.1"),
            // "*": every user, with or without a name.
            Case(user: alice, arguments: consume("public"), status: 0, says: "public-0"),
            Case(user: bob, arguments: consume("public"), status: 0, says: "public-0"),
            Case(user: nameless, arguments: consume("public"), status: 0, says: "public-0"),
            Case(user: stranger, arguments: consume("public"), status: 0, says: "public-0"),
            Case(user: alice, arguments: ["produce", "public"], stdin: "p\n", status: 77, says: "\(alice.who) may not produce to topic public"),
            // allow: [all] on a prefix.
            Case(user: bob, arguments: ["topic", "create", "bob.new", "--durability", "none"], status: 0, says: "created topic bob.new"),
            Case(user: bob, arguments: ["produce", "bob.new"], stdin: "n\n", status: 0, says: "produced 1 record to bob.new"),
            Case(user: bob, arguments: consume("bob.new"), status: 0, says: "n\n"),
            Case(
                user: bob, arguments: ["consume", "bob.new", "--group", "anything", "--from", "earliest"], status: 0, says: "n\n"),
            Case(user: bob, arguments: ["group", "delete", "bob.new", "anything"], status: 0, says: "deleted group anything of topic bob.new"),
            Case(user: bob, arguments: ["topic", "delete", "bob.new"], status: 0, says: "deleted topic bob.new"),
            Case(user: bob, arguments: ["topic", "create", "bobx2"], status: 77, says: "\(bob.who) may not administer topic bobx2"),
            Case(user: bob, arguments: consume("bobx"), status: 77, says: "\(bob.who) may not consume topic bobx"),
        ]
        for row in cases {
            try await daemon.expect(row.status, as: row.user, row.arguments, stdin: row.stdin, says: row.says.isEmpty ? [] : [row.says])
        }
        #expect(try await GroupTesting.readAll(client, "web.x").map(\.string) == ["web.x-0", "a", "d"])
        #expect(try await GroupTesting.readAll(client, "public").map(\.string) == ["public-0"])

        // The daemon says which grant and which of the user's identities matched.
        let explained: [(String, String, String, String)] = [
            ("immuta-t-alice", "web.x", "produce", "as group immuta-t-web"),
            ("immuta-t-alice", "web.alpha", "consume", "as gid \(users.webGID)"),
            ("54321", "metrics.1", "consume", "as uid 54321"),
            ("54322", "public", "consume", "as every user"),
            ("immuta-t-bob", "bob.x", "admin", "grant \"bob's sandbox\""),
        ]
        for (user, topic, op, says) in explained {
            try await daemon.expect(0, as: nil, ["acl", "check", "--user", user, "--topic", topic, "--op", op], says: ["allowed: ", says])
        }
        await client.close()
        #expect(await daemon.daemon.stop() == 0)
    }
}
