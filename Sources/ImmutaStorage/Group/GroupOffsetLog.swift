import ImmutaLocks
import Synchronization

/// A consumer group's committed offsets: a small record log of its own, in the same format and
/// with the same checksums as topic data. Each record is one commit: the committed offset as an
/// 8-byte little-endian integer (the offset of the first record not yet fully processed).
///
/// The log is compacted once it holds ``compactionThreshold`` commits: the last commit is written
/// to a fresh log beside it, flushed, and swapped in by renames (see ``compact()``).
public final class GroupOffsetLog: Sendable {
    /// Steps of a compaction, in order, for tests that crash in between.
    public enum CompactionStep: Sendable, CaseIterable {
        case wroteReplacement
        case movedOldAside
        case movedReplacementIn
        case removedOld
    }

    /// The group directory (`DATA/groups/TOPIC/GROUP`).
    public let directory: String
    /// Commits kept before the log is compacted.
    public let compactionThreshold: UInt64
    private let name: String
    private let state: Locked<(log: RecordLog, committed: UInt64?)>
    private let durability: Durability

    static let logName = "offsets"
    static let replacementName = "offsets.compacting"
    static let oldName = "offsets.old"

    /// Opens (or creates) the offset log in `directory`, finishing a compaction a crash interrupted.
    public init(
        directory: String, name: String, durability: Durability = .fsync, compactionThreshold: UInt64 = 4096
    ) throws {
        self.directory = directory
        self.name = name
        self.durability = durability
        self.compactionThreshold = compactionThreshold
        try FileIO.makeDirectory(directory)
        try Self.finishInterruptedCompaction(in: directory)
        let (log, _) = try RecordLog.open(
            directory: directory + "/" + Self.logName, name: name, configuration: Self.configuration(durability))
        state = Locked((log, try Self.lastCommit(in: log)))
    }

    static func configuration(_ durability: Durability) -> RecordLogConfiguration {
        RecordLogConfiguration(segmentBytes: 1 << 20, maxRecordBytes: 64, durability: durability)
    }

    /// The last committed offset, or nil when the group never committed.
    public var committed: UInt64? { state.withLock { $0.committed } }

    /// Records a commit. Returns once it is written; ``waitUntilDurable()`` waits for the flush.
    public func commit(_ offset: UInt64) throws {
        let log = state.withLock { $0.log }
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { raw in
            RecordFraming.storeUInt64(8, into: raw, at: 0)
            RecordFraming.storeUInt64(offset, into: raw, at: 8)
        }
        let result = try bytes.withUnsafeBytes { try log.append(framed: $0) }
        state.withLock { $0.committed = offset }
        if result.nextOffset - log.bounds.earliestOffset >= compactionThreshold {
            try compact()
        }
    }

    /// Waits until every commit so far is on disk.
    public func waitUntilDurable() async throws {
        let log = state.withLock { $0.log }
        try await log.waitUntilDurable(upTo: log.bounds.nextOffset)
    }

    /// Rewrites the log to hold only the last commit: write it to `offsets.compacting`, flush,
    /// rename `offsets` to `offsets.old`, rename the replacement to `offsets`, fsync the directory,
    /// then delete the old log. A crash at any point leaves either the old or the new log, and
    /// ``init(directory:name:durability:compactionThreshold:)`` finishes the job.
    ///
    /// - Parameter crashAfter: test hook; stop (as a crash would) right after this step.
    public func compact(crashAfter: CompactionStep? = nil) throws {
        try state.withLock { state in
            guard let committed = state.committed else { return }
            let replacementPath = directory + "/" + Self.replacementName
            if FileIO.exists(replacementPath) { try FileIO.removeTree(replacementPath) }
            let (replacement, _) = try RecordLog.open(
                directory: replacementPath, name: name, configuration: Self.configuration(durability),
                firstOffset: state.log.bounds.nextOffset)
            var bytes = [UInt8](repeating: 0, count: 16)
            bytes.withUnsafeMutableBytes { raw in
                RecordFraming.storeUInt64(8, into: raw, at: 0)
                RecordFraming.storeUInt64(committed, into: raw, at: 8)
            }
            _ = try bytes.withUnsafeBytes { try replacement.append(framed: $0) }
            try replacement.close()
            try FileIO.syncDirectory(directory)
            if crashAfter == .wroteReplacement { throw StorageError.closed(log: "\(name) (test crash)") }

            try state.log.close()
            try FileIO.rename(directory + "/" + Self.logName, to: directory + "/" + Self.oldName)
            try FileIO.syncDirectory(directory)
            if crashAfter == .movedOldAside { throw StorageError.closed(log: "\(name) (test crash)") }

            try FileIO.rename(replacementPath, to: directory + "/" + Self.logName)
            try FileIO.syncDirectory(directory)
            if crashAfter == .movedReplacementIn { throw StorageError.closed(log: "\(name) (test crash)") }

            try FileIO.removeTree(directory + "/" + Self.oldName)
            try FileIO.syncDirectory(directory)
            if crashAfter == .removedOld { throw StorageError.closed(log: "\(name) (test crash)") }

            let (log, _) = try RecordLog.open(
                directory: directory + "/" + Self.logName, name: name, configuration: Self.configuration(durability))
            state.log = log
        }
    }

    /// Flushes and closes the log.
    public func close() throws {
        try state.withLock { try $0.log.close() }
    }

    /// Completes or rolls back a compaction: the replacement is only renamed in after it was fully
    /// written and flushed, so whenever `offsets` is missing the replacement (or the old log) is whole.
    static func finishInterruptedCompaction(in directory: String) throws {
        let live = directory + "/" + logName
        let replacement = directory + "/" + replacementName
        let old = directory + "/" + oldName
        if FileIO.exists(live) {
            if FileIO.exists(replacement) { try FileIO.removeTree(replacement) }
            if FileIO.exists(old) { try FileIO.removeTree(old) }
        } else if FileIO.exists(old) {
            if FileIO.exists(replacement) {
                try FileIO.rename(replacement, to: live)
                try FileIO.removeTree(old)
            } else {
                try FileIO.rename(old, to: live)
            }
        } else if FileIO.exists(replacement) {
            try FileIO.removeTree(replacement)
        }
        try FileIO.syncDirectory(directory)
    }

    /// The last commit in the log: the newest record's 8-byte offset.
    static func lastCommit(in log: RecordLog) throws -> UInt64? {
        let bounds = log.bounds
        guard bounds.nextOffset > bounds.earliestOffset else { return nil }
        let batch = try log.read(from: bounds.nextOffset - 1, maxRecords: 1, maxBytes: 64)
        let payload = batch.payload(0)
        guard payload.count == 8 else {
            throw StorageError.malformedRecords(reason: "\(log.name): a commit record holds \(payload.count) bytes, not 8")
        }
        return payload.withUnsafeBytes { RecordFraming.loadUInt64($0, at: 0) }
    }
}
