import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: acl check.
extension AccessControlTests {
    @Test func aclCheckExplainsEachDecision() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config())
        struct Case {
            var user: String
            var topic: String
            var op: String
            var group: String?
            var allowed: Bool
            var says: [String]
        }
        let alice = users.alice.who
        let cases: [Case] = [
            Case(
                user: "immuta-t-alice", topic: "orders.eu", op: "produce", allowed: true,
                says: [
                    "allowed by grant \"web produces orders\" (group immuta-t-web: produce on topics orders, orders.*)",
                    "applies to \(alice) as group immuta-t-web",
                ]),
            Case(
                user: "immuta-t-alice", topic: "payments", op: "produce", allowed: false,
                says: [
                    "\(alice) may not produce to topic payments: grant \"web produces orders\" covers topics orders, orders.*, not payments"
                ]),
            Case(
                user: "immuta-t-alice", topic: "orders", op: "consume", allowed: false,
                says: ["\(alice) may not consume topic orders: grant \"web produces orders\" does not include consume"]),
            Case(
                user: String(users.alice.uid), topic: "orders", op: "produce", allowed: true, says: ["grant \"web produces orders\""]),
            Case(
                user: "immuta-t-bob", topic: "orders.eu", op: "consume", group: "bob-7", allowed: true,
                says: ["allowed by grant \"bob reads\" (user immuta-t-bob: consume on topics orders*, groups bob-*)"]),
            Case(user: "immuta-t-bob", topic: "orders", op: "consume", allowed: true, says: ["grant \"bob reads\""]),
            Case(
                user: "immuta-t-bob", topic: "orders", op: "consume", group: "billing", allowed: false,
                says: ["may not consume topic orders in group billing: grant \"bob reads\" covers groups bob-*, not billing"]),
            Case(
                user: "immuta-t-bob", topic: "orders", op: "admin", allowed: false,
                says: ["may not administer topic orders: grant \"bob reads\" does not include admin"]),
            Case(
                user: "immuta-t-bob", topic: "payments", op: "consume", allowed: false,
                says: ["grant \"bob reads\" covers topics orders*, not payments"]),
            Case(user: "immuta-t-ops", topic: "anything.at.all", op: "admin", allowed: true, says: ["grant \"ops administers\""]),
            Case(
                user: "immuta-t-ops", topic: "orders", op: "produce", allowed: false,
                says: ["grant \"ops administers\" does not include produce"]),
            Case(user: "immuta-t-carol", topic: "audit.x", op: "admin", allowed: true, says: ["grant \"carol owns audit\""]),
            Case(
                user: "immuta-t-carol", topic: "orders", op: "consume", allowed: false,
                says: ["grant \"carol owns audit\" covers topics audit*, not orders"]),
            Case(
                user: "54322", topic: "orders", op: "consume", allowed: false,
                says: ["uid 54322 may not consume topic orders: no grant names the user or its groups"]),
            Case(user: "root", topic: "payments", op: "admin", allowed: true, says: ["user root (uid 0) is root, which may do everything"]),
        ]
        for row in cases {
            var arguments = ["acl", "check", "--user", row.user, "--topic", row.topic, "--op", row.op]
            if let group = row.group { arguments += ["--group", group] }
            let text = try await daemon.expect(row.allowed ? 0 : 1, as: nil, arguments, says: row.says)
            #expect(text.result.out.hasPrefix(row.allowed ? "allowed: " : "denied: "), "\(text.command): \(text.result.out)")
            let json = try await daemon.expect(row.allowed ? 0 : 1, as: nil, arguments + ["--json"])
            let object = try #require(try json.result.json() as? [String: Any], "\(json.text)")
            #expect(object["allowed"] as? Bool == row.allowed, "\(json.text)")
            for fragment in row.says {
                #expect((object["explanation"] as? String)?.contains(fragment) == true, "\(json.command): \(json.text)")
            }
        }
        // The subject names every group of the user.
        try await daemon.expect(
            0, as: nil, ["acl", "check", "--user", "immuta-t-alice", "--topic", "orders", "--op", "produce"],
            says: ["allowed: \(alice), groups immuta-t-alice(\(users.alice.gid)), immuta-t-web(\(users.webGID))"])
        try await daemon.expect(
            64, as: nil, ["acl", "check", "--user", "immuta-t-nobody-here", "--topic", "orders", "--op", "produce"],
            says: ["there is no user immuta-t-nobody-here"])

        // Only an administrator of every topic may ask about someone else.
        let others: [(TestUser, String)] = [
            (users.alice, "immuta-t-bob"), (users.alice, String(users.bob.uid)), (users.bob, "immuta-t-alice"),
            (users.carol, "immuta-t-bob"), (users.stranger, "immuta-t-alice"),
        ]
        for (asker, about) in others {
            try await daemon.expect(
                77, as: asker, ["acl", "check", "--user", about, "--topic", "orders", "--op", "consume"],
                says: ["permission denied: \(asker.who) may check only its own access"])
        }
        // Asking about oneself by name or uid is one's own check.
        try await daemon.expect(
            0, as: users.alice, ["acl", "check", "--user", "immuta-t-alice", "--topic", "orders", "--op", "produce"], says: ["allowed: "])
        try await daemon.expect(
            1, as: users.alice, ["acl", "check", "--user", String(users.alice.uid), "--topic", "orders", "--op", "admin"],
            says: ["denied: "])
        try await daemon.expect(
            0, as: users.ops, ["acl", "check", "--user", "immuta-t-carol", "--topic", "audit", "--op", "produce"],
            says: ["grant \"carol owns audit\""])
        #expect(await daemon.daemon.stop() == 0)
    }
}
