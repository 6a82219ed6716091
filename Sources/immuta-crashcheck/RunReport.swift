import ImmutaLocks
import Synchronization

/// What a scenario ended as.
enum ScenarioOutcome: String, Sendable {
    case passed, failed, skipped
}

/// Everything the run found: failed checks (each a sentence with what to look at) and the
/// figures of the summary. Shared by every worker, hence the lock.
final class RunReport: Sendable {
    struct Figures: Sendable {
        var cycles = 0
        var kills = 0
        var recordsAcknowledged = 0
        var recordsChecked = 0
        var unacknowledgedBatches = 0
        var unacknowledgedBatchesFound = 0
        var groupChecks = 0
        var damagesInjected = 0
        var damagesRefusedAtStart = 0
        var recordsDroppedByRecovery = 0
        var recordsRefusedOnRead = 0
        var diskFullRefusals = 0
    }

    private let state = Locked<(figures: Figures, failures: [String], outcomes: [(String, ScenarioOutcome, String)])>(
        (Figures(), [], []))

    /// Records a failed check. Printed at once too, so a long run shows problems as they happen.
    func fail(_ scenario: String, _ message: String) {
        print("FAIL [\(scenario)] \(message)")
        state.withLock { $0.failures.append("[\(scenario)] \(message)") }
    }

    /// Records a failed check unless `condition` holds.
    func check(_ condition: Bool, _ scenario: String, _ message: @autoclosure () -> String) {
        if !condition { fail(scenario, message()) }
    }

    func count(_ update: (inout Figures) -> Void) { state.withLock { update(&$0.figures) } }

    func conclude(_ scenario: String, _ outcome: ScenarioOutcome, _ note: String = "") {
        state.withLock { $0.outcomes.append((scenario, outcome, note)) }
    }

    var figures: Figures { state.withLock { $0.figures } }
    var failures: [String] { state.withLock { $0.failures } }
    var failureCount: Int { state.withLock { $0.failures.count } }
    var outcomes: [(String, ScenarioOutcome, String)] { state.withLock { $0.outcomes } }
}
