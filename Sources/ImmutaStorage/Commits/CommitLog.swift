import ImmutaLocks
import Synchronization

/// A small append-only log of commits where only the last one matters: a consumer group's
/// committed offset, a mirror's resume point, a source's applied stream sequence. It is a record
/// log of its own, in the same format and with the same checksums as topic data; each record is
/// one commit of ``entrySize`` bytes (for a group, the committed offset as an 8-byte
/// little-endian integer: the offset of the first record not yet fully processed).
///
/// The log is compacted once it holds ``compactionThreshold`` commits: the last commit is written
/// to a fresh log beside it, flushed, and swapped in by renames (see ``compact(crashAfter:)``).
public final class CommitLog: Sendable {
    /// Steps of a compaction, in order, for tests that crash in between.
    public enum CompactionStep: Sendable, CaseIterable {
        case wroteReplacement
        case movedOldAside
        case movedReplacementIn
        case removedOld
    }

    struct State {
        var log: RecordLog
        var last: [UInt8]?
        /// A compaction failed part-way and its repair failed too: `log` may be closed or moved
        /// aside, so the next commit repairs the directory and reopens the log first.
        var needsRepair = false
        /// `log` was closed by a compaction that then failed (RecordLog does not say whether it is open).
        var logClosed = false
    }

    /// The directory that holds the log (for a group, `DATA/groups/TOPIC/GROUP`).
    public let directory: String
    /// The size of every commit, in bytes (8 for an offset).
    public let entrySize: Int
    /// Commits kept before the log is compacted.
    public let compactionThreshold: UInt64
    let name: String
    let state: Locked<State>
    let durability: Durability
    /// Told when a compaction fails. The commit that triggered it stands (it was written before),
    /// the old log stays in use, and the next commit tries the compaction again.
    let onCompactionFailure: @Sendable (any Error) -> Void

    static let logName = "offsets"
    static let replacementName = "offsets.compacting"
    static let oldName = "offsets.old"

    /// Opens (or creates) the offset log in `directory`, finishing a compaction a crash interrupted.
    public init(
        directory: String, name: String, entrySize: Int = 8, durability: Durability = .fsync, compactionThreshold: UInt64 = 4096,
        onCompactionFailure: @escaping @Sendable (any Error) -> Void = { _ in }
    ) throws {
        self.directory = directory
        self.name = name
        self.entrySize = entrySize
        self.durability = durability
        self.compactionThreshold = compactionThreshold
        self.onCompactionFailure = onCompactionFailure
        if !FileIO.exists(directory) {
            // A new group directory's entry must reach the disk with its parent's fsync.
            try FileIO.makeDirectory(directory)
            try FileIO.syncDirectory(FileIO.parent(of: directory))
        }
        try Self.finishInterruptedCompaction(in: directory)
        let (log, report) = try Self.openLive(in: directory, name: name, durability: durability)
        recoveryNotes = report.notes
        state = Locked(State(log: log, last: try Self.lastCommit(in: log, entrySize: entrySize)))
    }

    /// What recovery repaired when the log was opened. A damaged offset log is cut back to its last
    /// intact commit (the records after it are delivered again: never skipped), not refused.
    public let recoveryNotes: [String]

    static func configuration(_ durability: Durability) -> RecordLogConfiguration {
        RecordLogConfiguration(segmentBytes: 1 << 20, maxRecordBytes: UInt64(maxEntrySize), durability: durability)
    }

    /// Opens the live log, cutting it at its first damage wherever that is: an older commit is a
    /// safe place to resume from, a refusal would stop the daemon over a few bytes of bookkeeping.
    static func openLive(in directory: String, name: String, durability: Durability) throws -> (RecordLog, RecoveryReport) {
        try RecordLog.open(
            directory: directory + "/" + logName, name: name, configuration: configuration(durability),
            policy: .truncateAtFirstDamage)
    }

    /// The largest commit a log takes.
    static let maxEntrySize = 64

    /// The last committed offset, or nil when nothing was ever committed (an 8-byte log's commit).
    public var committed: UInt64? {
        lastEntry.map { entry in entry.withUnsafeBytes { RecordFraming.loadUInt64($0, at: 0) } }
    }

    /// The last commit's bytes, or nil when nothing was ever committed.
    public var lastEntry: [UInt8]? { state.withLock { $0.last } }

    /// Commits an offset (an 8-byte log's commit).
    public func commit(_ offset: UInt64) throws {
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes.withUnsafeMutableBytes { RecordFraming.storeUInt64(offset, into: $0, at: 0) }
        try commit(entry: bytes)
    }

    /// Records a commit of ``entrySize`` bytes. Returns once it is written;
    /// ``waitUntilDurable()`` waits for the flush. Throws only when the commit itself could not be
    /// written: a compaction it triggers that fails goes to `onCompactionFailure` instead.
    public func commit(entry: [UInt8]) throws {
        precondition(entry.count == entrySize, "a commit of \(entry.count) bytes in a log of \(entrySize)-byte commits")
        let log = try state.withLock { state throws -> RecordLog in
            if state.needsRepair { try repairAfterFailedCompaction(&state) }
            return state.log
        }
        let result = try Self.appendCommit(entry, to: log)
        state.withLock { $0.last = entry }
        if result.nextOffset - log.bounds.earliestOffset >= compactionThreshold {
            do {
                try compact()
            } catch {
                onCompactionFailure(error)
            }
        }
    }

    /// Appends one commit record.
    static func appendCommit(_ entry: [UInt8], to log: RecordLog) throws -> AppendResult {
        var bytes = [UInt8](repeating: 0, count: RecordFraming.headerSize)
        bytes.withUnsafeMutableBytes { RecordFraming.storeUInt64(UInt64(entry.count), into: $0, at: 0) }
        bytes += entry
        return try bytes.withUnsafeBytes { try log.append(framed: $0) }
    }

    /// Waits until every commit so far is on disk.
    public func waitUntilDurable() async throws {
        let log = state.withLock { $0.log }
        try await log.waitUntilDurable(upTo: log.bounds.nextOffset)
    }

    /// Calls `done` once every commit so far is on disk (or with the error that stopped the flush),
    /// on the flushing thread.
    public func whenDurable(_ done: @escaping @Sendable (StorageError?) -> Void) {
        let log = state.withLock { $0.log }
        log.whenDurable(upTo: log.bounds.nextOffset, done)
    }

    /// Flushes and closes the log.
    public func close() throws {
        try state.withLock { try $0.log.close() }
    }

    /// The last commit in the log: the newest record's bytes.
    static func lastCommit(in log: RecordLog, entrySize: Int) throws -> [UInt8]? {
        let bounds = log.bounds
        guard bounds.nextOffset > bounds.earliestOffset else { return nil }
        let batch = try log.read(from: bounds.nextOffset - 1, maxRecords: 1, maxBytes: maxEntrySize + RecordFraming.headerSize)
        let payload = batch.payload(0)
        guard payload.count == entrySize else {
            throw StorageError.malformedRecords(reason: "\(log.name): a commit record holds \(payload.count) bytes, not \(entrySize)")
        }
        return Array(payload)
    }
}
