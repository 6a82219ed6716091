import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control in immutad, end to end: immutactl run as other users of the host (setpriv)
/// against a daemon with `access` grants. Needs root, to create the test users and to become them.
@Suite(
    .enabled(if: AccessTesting.available, "needs root, setpriv and useradd"), .timeLimit(.minutes(10)))
struct AccessControlTests {
    // MARK: 1. the matrix

    @Test func theMatrixOfAllowedAndDeniedOperations() async throws {
        let matrix = try await AccessMatrix.run()
        for (row, run) in zip(matrix.cases, matrix.runs) {
            #expect(run.status == row.status, "\(run.command) exited \(run.status), not \(row.status); output: \(run.text)")
            for fragment in row.says {
                #expect(run.text.contains(fragment), "\(run.command) did not say \(String(reflecting: fragment)); output: \(run.text)")
            }
            if row.status == 77 {
                // Every denial is the daemon's permission_denied, naming the user.
                #expect(run.result.stderr.contains("[permission_denied (38)]"), "\(run.command): \(run.result.stderr)")
                if let name = row.user.name { #expect(run.result.stderr.contains(name), "\(run.command): \(run.result.stderr)") }
            } else {
                #expect(!run.text.contains("permission_denied"), "\(run.command): \(run.text)")
            }
        }
        // What the allowed operations did, and that the refused ones changed nothing.
        let client = try await matrix.daemon.rootClient()
        let records = try await GroupTesting.readAll(client, "orders").map(\.string)
        #expect(records == ["orders-0", "a1"], "bob's refused produce stored nothing")
        #expect(try await GroupTesting.readAll(client, "payments").map(\.string) == ["payments-0"])
        #expect(try await GroupTesting.readAll(client, "audit").map(\.string) == ["audit-0", "c1"])
        let topics = Set(try await client.listTopics().map(\.name))
        #expect(topics == Set(AccessFixture.topics), "created and deleted again: ops.tmp, audit.2025; refused: the rest")
        let groups = Set(try await client.listGroups().map { "\($0.topic)/\($0.group)" })
        #expect(groups == ["orders/bob-1", "orders/billing", "audit/aud"], "ops deleted payments/pay; alice's and bob's deletes were refused")
        #expect(try await client.describeGroup("orders", group: "bob-1").committedOffset == 0, "ops reset bob-1 to the earliest")
        await client.close()
        #expect(await matrix.daemon.daemon.stop() == 0)
    }

    /// The CLI's produce asks for the topic first; a user with no access at all to the topic is
    /// still told that she may not produce there, in the daemon's words.
    @Test func aRefusedProduceToAHiddenTopicNamesTheOperation() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config())
        try await AccessFixture.populate(daemon)
        let run = try await daemon.expect(77, as: users.alice, ["produce", "payments"], stdin: "x\n", says: ["payments"])
        #expect(run.result.stderr.contains("permission denied: \(users.alice.who) may not produce to topic payments"), "\(run.result.stderr)")
        #expect(await daemon.daemon.stop() == 0)
    }
}
