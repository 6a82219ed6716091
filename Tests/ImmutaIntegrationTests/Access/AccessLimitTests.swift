import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: per-user limits.
extension AccessControlTests {
    @Test func aUsersConnectionLimitRefusesOnlyThatUser() async throws {
        let users = try await AccessUsers.ensure()
        let (alice, bob) = (users.alice, users.bob)
        let limits = """
              limits:
                - name: bob's cap
                  users: [immuta-t-bob]
                  max_connections: 2

            """
        let daemon = try await AccessDaemon.start(config: AccessFixture.config(extra: limits))
        try await AccessFixture.populate(daemon)
        let client = try await daemon.rootClient()
        func bobsConnections() async throws -> [ConnectionDescription] {
            try await client.listConnections().filter { $0.uid == bob.uid }
        }
        let first = try daemon.launch(bob, ["consume", "orders", "--follow"])
        let second = try daemon.launch(bob, ["consume", "orders", "--follow"])
        try await GroupTesting.eventually("the daemon lists bob's two consumers") { try await bobsConnections().count == 2 }
        #expect(Set(try await bobsConnections().map(\.pid)) == [first.pid, second.pid])

        // A third connection of bob's is refused, naming the rule; nobody else is affected.
        let rule = "access.limits \"bob's cap\".max_connections = 2"
        // Every time: the refusal's message must survive the daemon closing right after it.
        for attempt in 0..<10 {
            let third = try await daemon.expect(1, as: bob, ["status"])
            let said = third.result.stderr
            #expect(said.contains(rule) && said.contains("\(bob.who) already has 2 connections"), "attempt \(attempt): \(said)")
        }
        let logged = daemon.daemon.output.split(separator: "\n").filter {
            $0.contains("client reached a limit") && $0.contains("client_uid=\(bob.uid) ")
        }
        #expect(
            logged.contains { $0.contains("code=\"too_many_connections (6)\"") && $0.contains("cap\\\".max_connections = 2") },
            "\(daemon.daemon.output)")
        let aliceStatus = try await daemon.expect(0, as: alice, ["status", "--json"])
        let aliceSees = try #require((try aliceStatus.result.json() as? [String: Any])?["connections"] as? [[String: Any]])
        #expect(aliceSees.count == 1 && aliceSees.allSatisfy { ($0["uid"] as? NSNumber)?.uint32Value == alice.uid }, "\(aliceStatus.text)")
        // An administrator of every topic sees every connection, bob's included.
        let opsStatus = try await daemon.expect(0, as: users.ops, ["status", "--json"])
        let opsSees = try #require((try opsStatus.result.json() as? [String: Any])?["connections"] as? [[String: Any]])
        let opsPIDs = Set(opsSees.compactMap { ($0["pid"] as? NSNumber)?.int32Value })
        #expect(opsPIDs.isSuperset(of: [first.pid, second.pid, opsStatus.pid]), "\(opsStatus.text)")

        // One of bob's ends: bob may connect again, and sees his own connections only.
        first.signal(SIGTERM)
        _ = await first.finish()
        try await GroupTesting.eventually("bob's first consumer is gone") { try await bobsConnections().count == 1 }
        let bobStatus = try await daemon.expect(0, as: bob, ["status", "--json"])
        let bobSees = try #require((try bobStatus.result.json() as? [String: Any])?["connections"] as? [[String: Any]])
        #expect(Set(bobSees.compactMap { ($0["pid"] as? NSNumber)?.int32Value }) == [second.pid, bobStatus.pid], "\(bobStatus.text)")
        second.signal(SIGTERM)
        _ = await second.finish()
        await client.close()
        #expect(await daemon.daemon.stop() == 0)
    }

    @Test func aUsersTopicAndGroupLimitsCountWhatThatUserCreated() async throws {
        let users = try await AccessUsers.ensure()
        let limits = """
              limits:
                - name: ops topics
                  users: [immuta-t-ops]
                  max_topics: 1
                - name: carol groups
                  users: [immuta-t-carol]
                  max_groups: 1

            """
        let daemon = try await AccessDaemon.start(config: AccessFixture.config(extra: limits))
        try await AccessFixture.populate(daemon)  // root's topics and groups do not count for anyone
        let (ops, carol) = (users.ops, users.carol)
        try await daemon.expect(0, as: ops, ["topic", "create", "ops.1", "--durability", "none"])
        try await daemon.expect(
            1, as: ops, ["topic", "create", "ops.2"], says: ["[too_many_topics", "access.limits \"ops topics\".max_topics = 1"])
        try await daemon.expect(0, as: nil, ["topic", "create", "root.1", "--durability", "none"])
        try await daemon.expect(0, as: ops, ["topic", "delete", "ops.1"])
        try await daemon.expect(0, as: ops, ["topic", "create", "ops.2", "--durability", "none"])

        try await daemon.expect(0, as: carol, ["consume", "audit", "--group", "c1", "--from", "earliest"])
        try await daemon.expect(0, as: carol, ["consume", "audit", "--group", "aud", "--from", "earliest"], says: ["audit-0"])
        try await daemon.expect(
            1, as: carol, ["consume", "audit", "--group", "c2", "--from", "earliest"],
            says: ["[too_many_groups", "access.limits \"carol groups\".max_groups = 1"])
        try await daemon.expect(0, as: carol, ["group", "delete", "audit", "c1"])
        try await daemon.expect(0, as: carol, ["consume", "audit", "--group", "c2", "--from", "earliest"])
        #expect(await daemon.daemon.stop() == 0)
    }
}
