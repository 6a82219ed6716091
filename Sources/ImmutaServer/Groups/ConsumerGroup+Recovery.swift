import ImmutaLocks
import ImmutaStorage
import Logging
import Synchronization

extension ConsumerGroup {
    /// Moves a committed offset that lies past the end of the topic back to the end, persists the
    /// move and says so. Run once at startup, after the topic's recovery.
    ///
    /// Fix: when the topic lost its tail (a power loss cut its active segment back), the group's
    /// committed offset could lie beyond the recovered end, and was trusted: the records produced
    /// next, at offsets below it, were never delivered to the group. Those offsets now name new
    /// records, so the group must start at the recovered end.
    func clampCommittedToTopicEnd() throws {
        let end = topic.log.nextOffset
        let stored = committedOffset
        guard stored > end else { return }
        try offsets.commit(end)
        state.withLock { state in
            Self.moveTo(end, keepingAbove: false, in: &state)
            state.clampedFrom = stored
        }
        logger.warning(
            "group \(name) on topic \(topic.name): committed offset \(stored) is past the topic's recovered end \(end) (the topic lost records from its tail); moved it back to \(end)",
            metadata: ["from": "\(stored)", "to": "\(end)"])
    }

    /// What recovery did to the group when the daemon started, for GROUP_RECOVERY (shown by
    /// `immutactl group describe`): a repaired offset log, a committed offset moved back.
    var recoveryNotes: [String] {
        var notes = offsets.recoveryNotes.map { "the offset log was damaged and cut back to its last intact commit: \($0)" }
        if let from = state.withLock({ $0.clampedFrom }) {
            notes.append("committed offset \(from) was past the topic's recovered end at startup; moved back to the end")
        }
        return notes
    }
}
