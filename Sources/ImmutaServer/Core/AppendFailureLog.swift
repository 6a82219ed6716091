import ImmutaLocks
import ImmutaStorage
import Logging
import Synchronization

/// Logs failed appends without flooding the journal: the first failure of a topic, then at most
/// one line per topic every 10 seconds, saying how many failed meanwhile. A full disk fails every
/// PRODUCE; the operator needs to hear of it once, not thousands of times a second.
final class AppendFailureLog: Sendable {
    private struct Entry {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let entries = Locked<[String: Entry]>([:])
    private let interval: Duration = .seconds(10)

    func report(topic: String, error: StorageError, logger: Logger) {
        let now = ContinuousClock.now
        let suppressed = entries.withLock { entries -> Int? in
            if let entry = entries[topic], now - entry.lastLogged < interval {
                entries[topic]?.suppressed += 1
                return nil
            }
            let earlier = entries[topic]?.suppressed ?? 0
            entries[topic] = Entry(lastLogged: now, suppressed: 0)
            return earlier
        }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = ["topic": "\(topic)", "error": "\(error)"]
        if suppressed > 0 { metadata["failed_since_last_report"] = "\(suppressed)" }
        logger.error("append failed", metadata: metadata)
    }

    /// Forgets a deleted topic.
    func forget(topic: String) {
        _ = entries.withLock { $0.removeValue(forKey: topic) }
    }
}
