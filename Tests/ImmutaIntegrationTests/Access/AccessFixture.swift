import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// The rules most access tests run under, and the topics and groups root creates for them.
enum AccessFixture {
    /// The grants of the brief's example, plus an administrator of everything (ops) and a user
    /// with every operation on a prefix (carol).
    static let grants = """
        access:
          grants:
            - name: web produces orders
              groups: [immuta-t-web]
              allow: [produce]
              topics: ["orders", "orders.*"]
            - name: bob reads
              users: [immuta-t-bob]
              allow: [consume]
              topics: ["orders*"]
              consumer_groups: ["bob-*"]
            - name: ops administers
              users: [immuta-t-ops]
              allow: [admin]
              topics: ["*"]
            - name: carol owns audit
              users: [immuta-t-carol]
              allow: [all]
              topics: ["audit*"]

        """

    /// The standard configuration: a socket everyone may connect to, and ``grants``.
    static func config(extra: String = "") -> String {
        "socket_mode: \"0666\"\n" + grants + extra
    }

    static let topics = ["orders", "orders.eu", "orders-archive", "payments", "audit"]

    /// Consumer groups root creates: (topic, group).
    static let groups = [("orders", "bob-1"), ("orders", "billing"), ("payments", "pay"), ("audit", "aud")]

    /// Creates ``topics`` (one record each, `<topic>-0`) and ``groups`` as root.
    static func populate(_ daemon: AccessDaemon) async throws {
        let client = try await daemon.rootClient()
        for topic in topics {
            try await client.createTopic(topic, options: TopicOptions(durability: "none"))
            _ = try await client.produce(topic, [Array("\(topic)-0".utf8)], ack: .write)
        }
        for (topic, group) in groups {
            _ = try await client.committedOffset(topic, group: group, creatingAt: .earliest)
        }
        await client.close()
    }
}

/// One row of the allowed/denied matrix.
struct AccessCase: Sendable {
    var user: TestUser
    var arguments: [String]
    var stdin: String?
    var status: Int32
    /// Fragments of stdout or stderr.
    var says: [String]
    /// The `op` of the audit entry the daemon must write: for a denial (exit 77) the request it
    /// refused, for an allowed administrative operation the operation. Nil: none expected.
    var auditOp: String?
}

/// The matrix of test 1 (and the audit trail it leaves, test 7): one daemon with the standard
/// rules, the fixture's topics and groups, and every case run in order.
struct AccessMatrix {
    let daemon: AccessDaemon
    let users: AccessUsers
    let cases: [AccessCase]
    let runs: [UserRun]

    static func run() async throws -> AccessMatrix {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config())
        try await AccessFixture.populate(daemon)
        let cases = Self.cases(users)
        var runs: [UserRun] = []
        for row in cases {
            runs.append(try await daemon.run(row.user, row.arguments, stdin: row.stdin))
        }
        return AccessMatrix(daemon: daemon, users: users, cases: cases, runs: runs)
    }

    static func cases(_ users: AccessUsers) -> [AccessCase] {
        let (alice, bob, ops, carol, stranger) = (users.alice, users.bob, users.ops, users.carol, users.stranger)
        func denied(_ user: TestUser, _ what: String) -> String { "permission denied: \(user.who) \(what)" }
        return [
            // alice: produce on orders and orders.* through her supplementary group, nothing else.
            AccessCase(
                user: alice, arguments: ["produce", "orders", "--ack", "write"], stdin: "a1\n", status: 0,
                says: ["produced 1 record to orders"]),
            AccessCase(
                user: alice, arguments: ["produce", "orders.eu"], stdin: "a2\n", status: 0, says: ["produced 1 record to orders.eu"]),
            // immutactl produce describes the topic first: for a topic she may not even see, that
            // request is the one refused (and audited), and the CLI asks the daemon why she may not
            // produce there.
            AccessCase(
                user: alice, arguments: ["produce", "payments"], stdin: "a3\n", status: 77,
                says: [denied(alice, "may not produce to topic payments")], auditOp: "describe_topic"),
            AccessCase(
                user: alice, arguments: ["produce", "orders-archive"], stdin: "a4\n", status: 77,
                says: [denied(alice, "may not produce to topic orders-archive")], auditOp: "describe_topic"),
            AccessCase(
                user: alice, arguments: ["consume", "orders", "--from", "earliest"], status: 77,
                says: [denied(alice, "may not consume topic orders")], auditOp: "fetch"),
            AccessCase(
                user: alice, arguments: ["consume", "orders", "--group", "bob-1", "--from", "earliest"], status: 77,
                says: [denied(alice, "may not consume topic orders in group bob-1")], auditOp: "join_group"),
            AccessCase(
                user: alice, arguments: ["topic", "create", "orders.new"], status: 77,
                says: [denied(alice, "may not administer topic orders.new")], auditOp: "create_topic"),
            AccessCase(
                user: alice, arguments: ["topic", "delete", "orders.eu"], status: 77,
                says: [denied(alice, "may not administer topic orders.eu")], auditOp: "delete_topic"),
            AccessCase(
                user: alice, arguments: ["topic", "describe", "orders"], status: 0, says: ["name:             orders"]),
            AccessCase(
                user: alice, arguments: ["topic", "describe", "payments"], status: 77,
                says: [denied(alice, "has no access to topic payments")], auditOp: "describe_topic"),
            AccessCase(
                user: alice, arguments: ["group", "describe", "orders", "billing"], status: 77,
                says: [denied(alice, "has no access to group billing of topic orders")], auditOp: "describe_group"),
            AccessCase(
                user: alice, arguments: ["group", "reset", "orders", "billing", "--to-earliest"], status: 77,
                says: [denied(alice, "may not administer group billing of topic orders")], auditOp: "plan_group_reset"),
            AccessCase(
                user: alice, arguments: ["group", "delete", "orders", "billing"], status: 77,
                says: [denied(alice, "may not administer group billing of topic orders")], auditOp: "delete_group"),
            AccessCase(user: alice, arguments: ["group", "list"], status: 0, says: ["no groups"]),
            AccessCase(
                user: alice, arguments: ["group", "list", "payments"], status: 77,
                says: [denied(alice, "has no access to topic payments")], auditOp: "list_groups"),
            AccessCase(user: alice, arguments: ["status"], status: 0, says: ["you:         \(alice.who), groups "]),
            AccessCase(
                user: alice, arguments: ["acl", "check", "--topic", "orders", "--op", "produce"], status: 0,
                says: ["allowed: \(alice.who)", "grant \"web produces orders\""]),
            AccessCase(
                user: alice, arguments: ["acl", "check", "--topic", "payments", "--op", "produce"], status: 1,
                says: ["denied: \(alice.who)", "may not produce to topic payments"]),
            AccessCase(
                user: alice, arguments: ["acl", "check", "--user", "immuta-t-bob", "--topic", "orders", "--op", "consume"],
                status: 77, says: [denied(alice, "may check only its own access")], auditOp: "access_check"),

            // bob: consume on orders* in groups bob-*.
            AccessCase(
                user: bob, arguments: ["produce", "orders"], stdin: "b1\n", status: 77,
                says: [denied(bob, "may not produce to topic orders")], auditOp: "produce"),
            AccessCase(user: bob, arguments: ["consume", "orders", "--from", "earliest"], status: 0, says: ["orders-0\na1\n"]),
            AccessCase(
                user: bob, arguments: ["consume", "orders-archive", "--from", "earliest"], status: 0, says: ["orders-archive-0"]),
            AccessCase(
                user: bob, arguments: ["consume", "payments", "--from", "earliest"], status: 77,
                says: [denied(bob, "may not consume topic payments")], auditOp: "fetch"),
            AccessCase(
                user: bob, arguments: ["consume", "orders", "--group", "bob-1", "--from", "earliest"], status: 0,
                says: ["orders-0"]),
            AccessCase(
                user: bob, arguments: ["consume", "orders", "--group", "billing", "--from", "earliest"], status: 77,
                says: [denied(bob, "may not consume topic orders in group billing")], auditOp: "join_group"),
            AccessCase(user: bob, arguments: ["group", "describe", "orders", "bob-1"], status: 0, says: ["group:             bob-1"]),
            AccessCase(
                user: bob, arguments: ["group", "describe", "orders", "billing"], status: 77,
                says: [denied(bob, "has no access to group billing of topic orders")], auditOp: "describe_group"),
            AccessCase(
                user: bob, arguments: ["group", "reset", "orders", "bob-1", "--to-earliest"], status: 77,
                says: [denied(bob, "may not administer group bob-1 of topic orders")], auditOp: "plan_group_reset"),
            AccessCase(
                user: bob, arguments: ["group", "delete", "orders", "bob-1"], status: 77,
                says: [denied(bob, "may not administer group bob-1 of topic orders")], auditOp: "delete_group"),
            AccessCase(
                user: bob, arguments: ["topic", "create", "orders.bob"], status: 77,
                says: [denied(bob, "may not administer topic orders.bob")], auditOp: "create_topic"),
            AccessCase(user: bob, arguments: ["group", "list"], status: 0, says: ["orders  bob-1"]),
            AccessCase(user: bob, arguments: ["status"], status: 0, says: ["you:         \(bob.who), groups "]),

            // ops: admin on every topic, and nothing else.
            AccessCase(
                user: ops, arguments: ["topic", "create", "ops.tmp", "--durability", "none"], status: 0,
                says: ["created topic ops.tmp"], auditOp: "create_topic"),
            AccessCase(user: ops, arguments: ["topic", "describe", "payments"], status: 0, says: ["name:             payments"]),
            AccessCase(
                user: ops, arguments: ["group", "describe", "payments", "pay"], status: 0, says: ["group:             pay"]),
            AccessCase(user: ops, arguments: ["group", "list", "--json"], status: 0, says: ["\"group\":\"billing\""]),
            AccessCase(
                user: ops, arguments: ["group", "reset", "orders", "bob-1", "--to-earliest"], status: 0,
                says: ["dry run: nothing changed"]),
            AccessCase(
                user: ops, arguments: ["group", "reset", "orders", "bob-1", "--to-earliest", "--execute"], status: 0,
                says: ["reset group bob-1 of topic orders"], auditOp: "reset_group"),
            AccessCase(
                user: ops, arguments: ["group", "delete", "payments", "pay"], status: 0, says: ["deleted group pay of topic payments"],
                auditOp: "delete_group"),
            AccessCase(
                user: ops, arguments: ["produce", "payments"], stdin: "o1\n", status: 77,
                says: [denied(ops, "may not produce to topic payments")], auditOp: "produce"),
            AccessCase(
                user: ops, arguments: ["consume", "payments", "--from", "earliest"], status: 77,
                says: [denied(ops, "may not consume topic payments")], auditOp: "fetch"),
            AccessCase(
                user: ops, arguments: ["topic", "delete", "ops.tmp"], status: 0, says: ["deleted topic ops.tmp"],
                auditOp: "delete_topic"),
            AccessCase(
                user: ops, arguments: ["acl", "check", "--user", "immuta-t-alice", "--topic", "orders", "--op", "produce"],
                status: 0, says: ["allowed: \(alice.who)"]),

            // carol: everything on audit*, nothing elsewhere.
            AccessCase(user: carol, arguments: ["produce", "audit"], stdin: "c1\n", status: 0, says: ["produced 1 record to audit"]),
            AccessCase(user: carol, arguments: ["consume", "audit", "--from", "earliest"], status: 0, says: ["audit-0\nc1\n"]),
            AccessCase(
                user: carol, arguments: ["topic", "create", "audit.2025", "--durability", "none"], status: 0,
                says: ["created topic audit.2025"], auditOp: "create_topic"),
            AccessCase(
                user: carol, arguments: ["consume", "audit", "--group", "any-name", "--from", "earliest"], status: 0,
                says: ["audit-0"]),
            AccessCase(
                user: carol, arguments: ["group", "reset", "audit", "any-name", "--to-earliest", "--execute"], status: 0,
                says: ["reset group any-name of topic audit"], auditOp: "reset_group"),
            AccessCase(
                user: carol, arguments: ["group", "delete", "audit", "any-name"], status: 0,
                says: ["deleted group any-name of topic audit"], auditOp: "delete_group"),
            AccessCase(
                user: carol, arguments: ["topic", "delete", "audit.2025"], status: 0, says: ["deleted topic audit.2025"],
                auditOp: "delete_topic"),
            AccessCase(
                user: carol, arguments: ["topic", "create", "payments2"], status: 77,
                says: [denied(carol, "may not administer topic payments2")], auditOp: "create_topic"),
            AccessCase(
                user: carol, arguments: ["consume", "orders", "--from", "earliest"], status: 77,
                says: [denied(carol, "may not consume topic orders")], auditOp: "fetch"),
            AccessCase(
                user: carol, arguments: ["acl", "check", "--user", "immuta-t-bob", "--topic", "audit", "--op", "consume"],
                status: 77, says: [denied(carol, "may check only its own access")], auditOp: "access_check"),

            // A uid with no name and no grant: nothing but its own status and access.
            AccessCase(user: stranger, arguments: ["topic", "list"], status: 0, says: ["no topics"]),
            AccessCase(
                user: stranger, arguments: ["consume", "orders", "--from", "earliest"], status: 77,
                says: [denied(stranger, "may not consume topic orders")], auditOp: "fetch"),
            AccessCase(
                user: stranger, arguments: ["topic", "create", "mine"], status: 77,
                says: [denied(stranger, "may not administer topic mine")], auditOp: "create_topic"),
            AccessCase(user: stranger, arguments: ["status"], status: 0, says: ["you:         uid \(stranger.uid), groups \(stranger.gid)"]),
            AccessCase(
                user: stranger, arguments: ["acl", "check", "--topic", "orders", "--op", "consume"], status: 1,
                says: ["denied: uid \(stranger.uid)", "no grant names the user or its groups"]),
        ]
    }
}
