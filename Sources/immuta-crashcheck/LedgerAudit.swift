import ImmutaLocks
import Synchronization

/// Compares what a topic holds after a crash with its ledger. Every acknowledged record must be
/// there exactly once, at its acknowledged offset, with its bytes; anything else must be a whole
/// unacknowledged batch, found at most once. The pending batches are then settled: those found
/// are adopted as if acknowledged (a later crash must keep them), the others may never appear.
enum LedgerAudit {
    struct Result {
        var checked = 0
        var foundPending = 0
        var droppedPending = 0
        var problems: [String] = []
    }

    static func audit(_ contents: TopicReader.Contents, against ledger: TopicLedger) -> Result {
        var result = Result()
        let topic = ledger.topic
        ledger.state.withLock { state in
            var expectedOffset = contents.records.first?.offset ?? 0
            var found: [String: [UInt64]] = [:]
            for (offset, bytes) in contents.records {
                if offset != expectedOffset { result.problems.append("\(topic): offsets jump from \(expectedOffset) to \(offset)") }
                expectedOffset = offset + 1
                result.checked += 1
                if let expected = state.records[offset] {
                    if expected != bytes {
                        result.problems.append("\(topic): offset \(offset) holds \(describe(bytes)), acknowledged as \(describe(expected))")
                    }
                } else if let origin = Payloads.origin(of: bytes), let batch = state.pending[origin.batch],
                    origin.index < batch.count, batch[origin.index] == bytes
                {
                    found[origin.batch, default: []].append(offset)
                } else {
                    result.problems.append("\(topic): offset \(offset) holds a record nobody sent or one already settled: \(describe(bytes))")
                }
            }
            for offset in state.records.keys where offset >= expectedOffset || offset < (contents.records.first?.offset ?? 0) {
                result.problems.append("\(topic): acknowledged offset \(offset) is missing (the topic ends at \(expectedOffset))")
            }
            for (id, offsets) in found {
                let batch = state.pending[id]!
                let first = offsets[0]
                if offsets != (0..<UInt64(batch.count)).map({ first + $0 }) {
                    result.problems.append("\(topic): unacknowledged batch \(id) of \(batch.count) records found at offsets \(offsets)")
                    continue
                }
                for (index, payload) in batch.enumerated() { state.records[first + UInt64(index)] = payload }
            }
            result.foundPending = found.count
            result.droppedPending = state.pending.keys.filter { !TopicLedger.isIdempotent($0) }.count - found.keys.filter { !TopicLedger.isIdempotent($0) }.count
            // The idempotent producer's unanswered batches stay pending: it sends them again after
            // the restart, and its answer must then name the offsets found here, or new ones if
            // the batch was not found.
            state.pending = state.pending.filter { TopicLedger.isIdempotent($0.key) && found[$0.key] == nil }
        }
        return result
    }

    /// A short description of a payload for failure messages.
    static func describe(_ bytes: [UInt8]) -> String {
        let origin = Payloads.origin(of: bytes).map { "batch \($0.batch) record \($0.index)" } ?? "unrecognised"
        return "\(bytes.count) bytes (\(origin))"
    }
}
