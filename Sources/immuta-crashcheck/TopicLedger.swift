import ImmutaLocks
import Synchronization

/// Everything the checker knows about one topic: each acknowledged record's offset and bytes,
/// and the batches sent whose acknowledgement never arrived (they may or may not be in the log).
final class TopicLedger: Sendable {
    let topic: String

    struct State {
        /// Acknowledged (or, for unacknowledged batches later found whole in the log, adopted)
        /// records: offset → payload.
        var records: [UInt64: [UInt8]] = [:]
        /// Batches sent and not acknowledged, by batch id, until an audit decides their fate.
        var pending: [String: [[UInt8]]] = [:]
        var acknowledgedCount = 0
    }

    let state = Locked(State())

    init(topic: String) { self.topic = topic }

    /// Notes a batch before it is sent, so a crash mid-request leaves it pending.
    func sending(_ id: String, _ payloads: [[UInt8]]) {
        state.withLock { $0.pending[id] = payloads }
    }

    /// Records an acknowledgement; returns a problem if it contradicts what is known.
    func acknowledged(_ id: String, firstOffset: UInt64, count: Int) -> String? {
        state.withLock { state -> String? in
            guard let payloads = state.pending.removeValue(forKey: id) else { return "acknowledged unknown batch \(id)" }
            guard count == payloads.count else { return "batch \(id) of \(payloads.count) records acknowledged as \(count)" }
            for (index, payload) in payloads.enumerated() {
                let offset = firstOffset + UInt64(index)
                // An idempotent batch an audit already found whole (and adopted) is acknowledged at
                // the same offsets when its resend is answered; anywhere else it was stored twice.
                if let known = state.records[offset], !(Self.isIdempotent(id) && known == payload) {
                    return "offset \(offset) acknowledged twice (again for batch \(id))"
                }
                state.records[offset] = payload
            }
            state.acknowledgedCount += count
            return nil
        }
    }

    /// Batches of the idempotent producer, which resends them until they are acknowledged: an
    /// audit never gives up on them.
    static func isIdempotent(_ id: String) -> Bool { id.contains(".idem.") }

    /// The payload known at `offset`, if any.
    func payload(at offset: UInt64) -> [UInt8]? { state.withLock { $0.records[offset] } }

    /// One past the highest known offset.
    var knownEnd: UInt64 { state.withLock { ($0.records.keys.max() ?? UInt64.max) &+ 1 } }

    var acknowledgedCount: Int { state.withLock { $0.acknowledgedCount } }
}
