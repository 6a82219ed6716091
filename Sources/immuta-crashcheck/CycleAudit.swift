import Immuta

/// The check after every restart of the `kill` scenario: each topic read whole and compared with
/// its ledger, then each group's committed offset compared with what its consumer did.
struct CycleAudit {
    let ledgers: [TopicLedger]
    let groups: [GroupLedger]
    let report: RunReport

    func run(_ client: ImmutaClient, cycle: Int) async throws {
        var ends: [String: UInt64] = [:]
        var line = "   audit \(cycle):"
        defer { print(line) }
        for ledger in ledgers {
            let contents = try await withDeadline(.seconds(120), "reading topic \(ledger.topic)") {
                try await TopicReader.readAll(client, ledger.topic)
            }
            for (offset, error) in contents.refused {
                report.fail(KillScenario.name, "cycle \(cycle): \(ledger.topic) offset \(offset) could not be read: \(error)")
            }
            let result = LedgerAudit.audit(contents, against: ledger)
            for problem in result.problems { report.fail(KillScenario.name, "after kill \(cycle - 1): \(problem)") }
            report.count {
                $0.recordsChecked += result.checked
                $0.unacknowledgedBatches += result.foundPending + result.droppedPending
                $0.unacknowledgedBatchesFound += result.foundPending
            }
            ends[ledger.topic] = contents.logEnd
            line += " \(ledger.topic) \(contents.logEnd) records,"

        }
        for group in groups {
            let committed = try await withDeadline(.seconds(30), "reading group \(group.group)'s offset") {
                try await client.committedOffset(group.topic, group: group.group, creatingAt: .earliest)
            }
            for problem in group.observe(committed: committed, topicEnd: ends[group.topic] ?? 0) {
                report.fail(KillScenario.name, "after kill \(cycle - 1): \(problem)")
            }
            report.count { $0.groupChecks += 1 }
            line += " \(group.topic)/\(group.group) at \(committed)"

        }
    }
}
