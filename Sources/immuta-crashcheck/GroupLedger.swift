import ImmutaLocks
import Synchronization

/// What the checker knows about one consumer group of one topic: the committed offsets it has
/// seen (they may never go back), the last manual commit the daemon acknowledged (a kill must
/// not lose it), and for managed delivery every offset its member acknowledged (the committed
/// offset may never pass one that was not).
final class GroupLedger: Sendable {
    let topic: String
    let group: String
    let managed: Bool

    struct State {
        var lastSeenCommitted: UInt64 = 0
        var lastAcknowledgedCommit: UInt64 = 0
        var ackedOffsets: Set<UInt64> = []
        /// The lowest offset never acked: the most a managed group may have committed.
        var lowestUnacked: UInt64 = 0
    }

    private let state = Locked(State())

    init(topic: String, group: String, managed: Bool) {
        self.topic = topic
        self.group = group
        self.managed = managed
    }

    /// Notes an ack, before it is handed to the client (so it may not have reached the daemon).
    func acking(_ offset: UInt64) {
        state.withLock { state in
            state.ackedOffsets.insert(offset)
            while state.ackedOffsets.contains(state.lowestUnacked) { state.lowestUnacked += 1 }
        }
    }

    /// Notes a manual commit the daemon acknowledged.
    func commitAcknowledged(_ offset: UInt64) {
        state.withLock { $0.lastAcknowledgedCommit = max($0.lastAcknowledgedCommit, offset) }
    }

    /// Checks a committed offset read back after a restart; returns the problems.
    func observe(committed: UInt64, topicEnd: UInt64) -> [String] {
        state.withLock { state in
            var problems: [String] = []
            let name = "group \(group) of \(topic)"
            if committed < state.lastSeenCommitted {
                problems.append("\(name): committed offset went back from \(state.lastSeenCommitted) to \(committed)")
            }
            if !managed && committed < state.lastAcknowledgedCommit {
                problems.append("\(name): committed offset \(committed) lost the acknowledged commit \(state.lastAcknowledgedCommit)")
            }
            if managed && committed > state.lowestUnacked {
                problems.append("\(name): committed offset \(committed) passes offset \(state.lowestUnacked), which was never acked")
            }
            if committed > topicEnd { problems.append("\(name): committed offset \(committed) is past the topic's end \(topicEnd)") }
            state.lastSeenCommitted = max(state.lastSeenCommitted, committed)
            return problems
        }
    }

    var lastSeenCommitted: UInt64 { state.withLock { $0.lastSeenCommitted } }
}
