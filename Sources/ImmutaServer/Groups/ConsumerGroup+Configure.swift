import ImmutaLocks
import ImmutaProtocol
import ImmutaStorage
import Logging
import Synchronization

extension ConsumerGroup {
    /// Changes the group's settings while it runs (GROUP_CONFIGURE): each non-zero / non-empty
    /// field replaces the current value. Checked as a new group's are, written to `group.json`
    /// (atomically) before it takes effect, then applied to what comes next: deliveries after
    /// it take the new in-flight limit and ack timeout, records failing after it the new
    /// max_deliveries and dead-letter topic.
    func configure(_ changes: WireGroupSettings) throws -> GroupSettings {
        let (before, after) = try settingsBox.withLock { current throws -> (GroupSettings, GroupSettings) in
            var next = current
            if changes.maxInFlight != 0 { next.maxInFlight = changes.maxInFlight }
            if changes.ackTimeoutMilliseconds != 0 { next.ackTimeoutMilliseconds = changes.ackTimeoutMilliseconds }
            if changes.maxDeliveries != 0 { next.maxDeliveries = changes.maxDeliveries }
            if !changes.deadLetterTopic.isEmpty { next.deadLetterTopic = changes.deadLetterTopic }
            try next.validate()
            let before = current
            guard next != before else { return (before, before) }
            try next.write(to: directory)
            current = next
            return (before, next)
        }
        if before != after {
            logger.notice(
                "group settings changed",
                metadata: [
                    "max_in_flight": "\(after.maxInFlight)", "ack_timeout_ms": "\(after.ackTimeoutMilliseconds)",
                    "max_deliveries": "\(after.maxDeliveries)", "dead_letter_topic": "\(after.deadLetterTopic)",
                ])
            // A higher limit makes room now.
            schedulePump()
        }
        return after
    }
}
