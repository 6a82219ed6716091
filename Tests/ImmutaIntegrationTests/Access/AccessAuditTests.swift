import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: audit.
extension AccessControlTests {
    @Test func theAuditTrailRecordsAdministrationAndEveryDenial() async throws {
        let matrix = try await AccessMatrix.run()
        let entries = matrix.daemon.auditEntries
        // Root's topic creation during setup.
        let rootCreates = entries.filter { $0["op"] == "create_topic" && $0["uid"] == "0" && $0["decision"] == "allowed" }
        #expect(Set(rootCreates.compactMap { $0["topic"] }) == Set(AccessFixture.topics), "\(rootCreates)")
        #expect(rootCreates.allSatisfy { $0["user"] == "root" && $0["pid"].flatMap(Int32.init) != nil })

        let groupOperations: Set = ["join_group", "describe_group", "plan_group_reset", "reset_group", "delete_group"]
        func expectNames(_ entry: AuditEntry?, of run: UserRun, sourceLocation: SourceLocation = #_sourceLocation) {
            let topic = entry?["topic"]
            #expect(topic.map(run.arguments.contains) == true, "\(run.command): topic=\(topic ?? "none")", sourceLocation: sourceLocation)
            if let op = entry?["op"], groupOperations.contains(op) {
                let group = entry?["group"]
                #expect(group.map(run.arguments.contains) == true, "\(run.command): group=\(group ?? "none")", sourceLocation: sourceLocation)
            }
        }
        for (row, run) in zip(matrix.cases, matrix.runs) {
            let mine = entries.filter { $0["pid"] == String(run.pid) }
            if row.status == 77 {
                let entry = mine.first { $0["decision"] == "denied" }
                #expect(entry != nil, "\(run.command) left no denial in the audit log; its entries: \(mine)")
                #expect(entry?["op"] == row.auditOp, "\(run.command): \(entry.map(String.init(describing:)) ?? "")")
                #expect(
                    entry?["uid"] == String(row.user.uid) && entry?["user"] == row.user.auditName,
                    "\(entry.map(String.init(describing:)) ?? "")")
                expectNames(entry, of: run)
                #expect(entry?.line.contains(" warning ") == true)
            } else if let op = row.auditOp, row.status == 0 {
                let entry = mine.first { $0["decision"] == "allowed" }
                #expect(entry?["op"] == op, "\(run.command) left \(mine)")
                #expect(entry?["uid"] == String(row.user.uid) && entry?["user"] == row.user.auditName)
                expectNames(entry, of: run)
            } else {
                // Plain reads and writes, dry runs and checks are not audited when allowed.
                #expect(mine.isEmpty, "\(run.command) was audited: \(mine)")
            }
        }
        // A user without a name is logged with an empty user and its uid.
        #expect(entries.contains { $0["uid"] == String(matrix.users.stranger.uid) && $0["user"] == "" && $0["decision"] == "denied" })
        #expect(await matrix.daemon.daemon.stop() == 0)
    }
}
