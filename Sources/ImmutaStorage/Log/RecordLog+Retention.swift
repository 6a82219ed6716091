import ImmutaLocks
import Synchronization
extension RecordLog {
    /// Deletes whole segments from the front of the log while it holds more bytes than its
    /// retention limit, or while their newest record is older than its retention age. The active
    /// segment is never deleted, so offsets are never reused.
    ///
    /// - Returns: the data files deleted.
    @discardableResult
    public func enforceRetention(now: Int64 = currentTimeNanoseconds()) throws -> [String] {
        let removed = writer.withLock { _ -> [Segment] in
            shared.withLock { state -> [Segment] in
                let config = state.configuration
                var total = state.segments.reduce(0) { $0 + $1.totalBytes }
                var removed: [Segment] = []
                while state.segments.count > 1 {
                    let oldest = state.segments[0]
                    let overSize = config.retentionBytes.map { total > $0 } ?? false
                    let tooOld = config.retentionMilliseconds.map { age in
                        // Saturating: `now` comes from the caller and the age from a checked
                        // configuration, but neither subtraction may trap whatever they are.
                        let cutoff = now.subtractingSaturating(age.multipliedSaturating(by: 1_000_000))
                        return (oldest.lastTimestamp ?? now) < cutoff
                    } ?? false
                    guard overSize || tooOld else { break }
                    total -= oldest.totalBytes
                    removed.append(oldest.segment)
                    state.segments.removeFirst()
                }
                return removed
            }
        }
        return try unlink(removed)
    }

    /// Deletes whole segments that hold only offsets below `offset` (never the active one). A
    /// log that keeps its own checkpoints (the producer-state log) trims what they made obsolete.
    @discardableResult
    package func removeSegments(below offset: UInt64) throws -> [String] {
        let removed = writer.withLock { _ -> [Segment] in
            shared.withLock { state -> [Segment] in
                var removed: [Segment] = []
                while state.segments.count > 1 && state.segments[0].nextOffset <= offset {
                    removed.append(state.segments.removeFirst().segment)
                }
                return removed
            }
        }
        return try unlink(removed)
    }

    private func unlink(_ removed: [Segment]) throws -> [String] {
        guard !removed.isEmpty else { return [] }
        for segment in removed {
            // A crash between the two unlinks leaves half a segment at the front of the log, which
            // recovery recognises and finishes deleting.
            try segment.unlinkFiles()
        }
        try FileIO.syncDirectory(directory)
        return removed.map(\.dataPath)
    }
}
