/// A topic's idempotent-producer state on disk: a record log of ``ProducerEntry`` values in
/// `TOPIC/producers/`, one per stored batch. Replaying it rebuilds the ``ProducerTable``. It stays
/// small by checkpointing: now and then every remembered entry is appended again as one batch,
/// and the segments before that batch are deleted.
final class ProducerStateLog: Sendable {
    static let directoryName = "producers"
    /// Entries appended after the last checkpoint before the next one is written.
    static let checkpointInterval: UInt64 = 4096

    let log: RecordLog

    private init(log: RecordLog) { self.log = log }

    static func configuration(_ durability: Durability) -> RecordLogConfiguration {
        RecordLogConfiguration(segmentBytes: 256 << 10, maxRecordBytes: UInt64(ProducerEntry.size), durability: durability)
    }

    /// Opens the log of a topic directory if it exists (create: or creates it), and replays it.
    /// Entries for batches beyond the end of the topic's log are dropped: those records were lost
    /// with a torn tail, so the producer must be able to send them again.
    ///
    /// - Returns: nil when the log does not exist and `create` is false.
    static func open(
        topicDirectory: String, topicName: String, topicLog: RecordLog, create: Bool
    ) throws -> (ProducerStateLog, ProducerTable, [String])? {
        let directory = topicDirectory + "/" + directoryName
        guard create || FileIO.exists(directory) else { return nil }
        // Cut at the first damage wherever it is, never refused: losing entries only forgets
        // producers (their next batch gets unknown_producer), and must not stop the topic.
        let (log, report) = try RecordLog.open(
            directory: directory, name: "producer state of topic \(topicName)",
            configuration: configuration(topicLog.configuration.durability), policy: .truncateAtFirstDamage)
        var notes = report.notes
        var table = ProducerTable()
        let end = topicLog.nextOffset
        var offset = log.bounds.earliestOffset
        var dropped = 0
        var malformed = 0
        while offset < log.nextOffset {
            let batch = try log.read(from: offset, maxRecords: 4096, maxBytes: 1 << 20)
            for i in 0..<batch.count {
                guard let entry = ProducerEntry.decode(batch.payload(i)), entry.count > 0,
                    entry.firstOffset <= UInt64.max - UInt64(entry.count)
                else {
                    malformed += 1
                    continue
                }
                if entry.nextOffset > end { dropped += 1 } else { table.record(entry) }
            }
            offset = batch.nextOffset
        }
        if dropped > 0 {
            notes.append("\(directory): forgot \(dropped) producer batches beyond the end of the topic (offset \(end)); their producers may send them again")
        }
        if malformed > 0 {
            notes.append("\(directory): skipped \(malformed) entries that are not 40-byte producer entries with a valid offset range")
        }
        return (ProducerStateLog(log: log), table, notes)
    }

    /// Appends one entry; returns the offset after it, for ``waitUntilDurable(upTo:)``.
    func append(_ entry: ProducerEntry) throws -> UInt64 {
        try entry.framed().withUnsafeBytes { try log.append(framed: $0) }.nextOffset
    }

    /// Writes a checkpoint when enough entries were appended since the last one, then deletes the
    /// segments it made obsolete. Producers idle past the expiry are forgotten first, so they are
    /// not carried forward.
    func checkpointIfDue(_ table: inout ProducerTable, limits: ProducerLimits, since lastCheckpoint: inout UInt64) throws {
        guard log.nextOffset - lastCheckpoint >= Self.checkpointInterval else { return }
        table.expire(now: currentTimeNanoseconds(), limits: limits)
        let entries = table.entries
        guard !entries.isEmpty else {
            // Nothing left to remember: everything before here is obsolete.
            lastCheckpoint = log.nextOffset
            try log.removeSegments(below: log.nextOffset)
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * (8 + ProducerEntry.size))
        for entry in entries { bytes += entry.framed() }
        let result = try bytes.withUnsafeBytes { try log.append(framed: $0) }
        lastCheckpoint = result.firstOffset
        // Flushed before the segments it replaces are deleted, or a power loss could lose both.
        try log.sync()
        try log.removeSegments(below: result.firstOffset)
    }
}
