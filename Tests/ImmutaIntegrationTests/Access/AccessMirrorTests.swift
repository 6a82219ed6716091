import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: mirrors. `mirror list` (MIRROR_LIST) shows each user the links
/// whose topic it may see; `mirror pause` and `resume` (MIRROR_CONTROL) need admin on every
/// topic, and a refusal says nothing about whether the name exists.
extension AccessControlTests {
    /// A mirror of the orders topics and of payments, and a source into audit.in, all pointed at
    /// an address where nothing listens: the links exist, and are listed, without a cluster.
    static let mirrorConfig = """
        host_id: acl-host
        mirrors:
          - name: backup
            topics: ["orders*", "payments"]
            servers: ["nats://127.0.0.1:1"]
        sources:
          - name: inbound
            servers: ["nats://127.0.0.1:1"]
            stream: AUDIT_IN
            topic: audit.in

        """

    @Test func mirrorsAreListedByTopicAndPausedOnlyByThoseWhoAdministerEverything() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config(extra: Self.mirrorConfig))
        try await AccessFixture.populate(daemon)
        let everything: Set = ["backup/orders", "backup/orders.eu", "backup/orders-archive", "backup/payments", "inbound/audit.in"]
        // Topics created after the start are picked up by the mirror within a second.
        let root = try await daemon.rootClient()
        try await GroupTesting.eventually("the mirror has picked up every topic it matches") {
            Set(try await root.listMirrors().map { "\($0.name)/\($0.topic)" }) == everything
        }
        await root.close()

        let expected: [(TestUser?, Set<String>)] = [
            (nil, everything),
            (users.ops, everything),
            (users.alice, ["backup/orders", "backup/orders.eu"]),
            (users.bob, ["backup/orders", "backup/orders.eu", "backup/orders-archive"]),
            (users.carol, ["inbound/audit.in"]),
            (users.nameless, []),
            (users.stranger, []),
        ]
        for (user, links) in expected {
            let who = user?.description ?? "root"
            let run = try await daemon.expect(0, as: user, ["mirror", "list", "--json"])
            let shown = try #require(try run.result.json() as? [[String: Any]], "\(who): \(run.text)")
            let names = Set(shown.map { "\($0["name"] as? String ?? "?")/\($0["topic"] as? String ?? "?")" })
            #expect(names == links, "\(who) sees \(run.result.out)")
        }

        // Pausing and resuming: refused to everyone who lacks admin on every topic, even for a name
        // that does not exist and for a link on a topic the user owns outright (carol's source).
        let (alice, bob, carol, stranger, ops) = (users.alice, users.bob, users.carol, users.stranger, users.ops)
        let refused: [(TestUser, [String])] = [
            (alice, ["mirror", "pause", "backup"]), (alice, ["mirror", "resume", "backup"]), (alice, ["mirror", "pause", "nosuch"]),
            (bob, ["mirror", "pause", "backup"]), (carol, ["mirror", "pause", "inbound"]), (carol, ["mirror", "resume", "nosuch"]),
            (stranger, ["mirror", "pause", "backup"]),
        ]
        var refusals: [UserRun] = []
        for (user, arguments) in refused {
            let denial = "permission denied: \(user.who) may not \(arguments[1]) \(arguments[2]): pausing or resuming a mirror or source needs admin on every topic"
            let run = try await daemon.expect(77, as: user, arguments, says: [denial, "[permission_denied (38)]"])
            #expect(!run.text.contains("not_found") && !run.text.contains("no mirror"), "\(run.command): \(run.text)")
            refusals.append(run)
        }
        // An administrator of everything pauses and resumes; an unknown name is mirror_not_found.
        let allowed = [
            try await daemon.expect(0, as: ops, ["mirror", "pause", "backup"], says: ["paused backup"]),
            try await daemon.expect(0, as: ops, ["mirror", "resume", "backup"], says: ["resumed backup"]),
            try await daemon.expect(0, as: nil, ["mirror", "pause", "inbound"], says: ["paused inbound"]),
        ]
        let unknown = try await daemon.expect(1, as: ops, ["mirror", "pause", "nosuch"], says: ["no mirror or source named nosuch", "mirror_not_found (39)"])
        // The daemon carried them out (it says so in its log), and only them. Its log is read as it
        // comes: the last command's audit entry shows that everything before it has arrived.
        let logged = { (text: String) in daemon.daemon.output.split(separator: "\n").filter { $0.contains(text) } }
        try await GroupTesting.eventually("the daemon logged the last command") {
            daemon.auditEntries.contains { $0["pid"] == String(unknown.pid) }
        }
        #expect(logged("mirror paused").count == 2 && logged("mirror resumed").count == 1, "\(daemon.daemon.output)")
        #expect(logged("mirror paused").map { $0.contains("name=backup") } == [true, false], "\(logged("mirror paused"))")
        #expect(logged("mirror paused").last?.contains("name=inbound") == true && logged("mirror resumed").first?.contains("name=backup") == true)

        // The audit trail: every refusal, every pause and resume, and the failed one.
        let entries = daemon.auditEntries
        for run in refusals {
            let entry = entries.first { $0["pid"] == String(run.pid) && $0["decision"] == "denied" }
            #expect(entry?["op"] == (run.arguments[1] == "pause" ? "pause_mirror" : "resume_mirror"), "\(run.command): \(entries)")
            #expect(entry?["uid"] == String(run.user?.uid ?? 0) && entry?["topic"] == nil, "\(run.command): \(String(describing: entry))")
            #expect(entry?["detail"]?.contains("may not \(run.arguments[1]) \(run.arguments[2]):") == true, "\(String(describing: entry))")
        }
        for run in allowed {
            let entry = entries.first { $0["pid"] == String(run.pid) }
            #expect(entry?["op"] == "\(run.arguments[1])_mirror" && entry?["decision"] == "allowed", "\(run.command): \(entries)")
            #expect(entry?["detail"] == "mirror \(run.arguments[2])", "\(String(describing: entry))")
        }
        let failed = entries.first { $0["pid"] == String(unknown.pid) }
        #expect(failed?["op"] == "pause_mirror" && failed?["decision"] == "failed", "\(entries)")
        #expect(failed?["detail"]?.contains("no mirror or source named nosuch") == true, "\(String(describing: failed))")
        // Listing is a plain read: never audited.
        #expect(!entries.contains { $0["op"] == "list_mirrors" }, "\(entries)")
        #expect(await daemon.daemon.stop() == 0)
    }
}
