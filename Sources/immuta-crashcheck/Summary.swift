/// The end-of-run summary: figures, scenario results, and every failed check again.
enum Summary {
    static func print(_ report: RunReport, seed: UInt64, elapsed: Duration) {
        let f = report.figures
        let lines = [
            "== summary (seed \(seed), \(seconds(elapsed)))",
            "kill cycles:                   \(f.cycles) (\(f.kills) SIGKILLs, some during recovery)",
            "records acknowledged:          \(f.recordsAcknowledged)",
            "records checked (all audits):  \(f.recordsChecked)",
            "unacknowledged batches:        \(f.unacknowledgedBatches) (\(f.unacknowledgedBatchesFound) found whole in the log, the rest absent)",
            "group offset checks:           \(f.groupChecks)",
            "damages injected:              \(f.damagesInjected) (\(f.damagesRefusedAtStart) refused at start, then repaired with immutactl repair)",
            "records dropped by recovery:   \(f.recordsDroppedByRecovery) (as immutad and immutactl repair reported)",
            "records refused on read:       \(f.recordsRefusedOnRead) (damaged, refused rather than served)",
            "disk-full refusals:            \(f.diskFullRefusals)",
        ]
        for line in lines { Swift.print(line) }
        for (name, outcome, note) in report.outcomes {
            Swift.print("scenario \(name): \(outcome.rawValue)\(note.isEmpty ? "" : " (\(note))")")
        }
        let failures = report.failures
        if failures.isEmpty {
            Swift.print("all checks passed")
        } else {
            Swift.print("\(failures.count) failed check\(failures.count == 1 ? "" : "s"):")
            for failure in failures { Swift.print("  " + failure) }
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return "\(ms / 1000).\((ms % 1000) / 100) s"
    }
}
