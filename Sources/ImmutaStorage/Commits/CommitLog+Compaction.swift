import ImmutaLocks
import Synchronization

extension CommitLog {
    /// Rewrites the log to hold only the last commit: write it to `offsets.compacting`, flush,
    /// rename `offsets` to `offsets.old`, rename the replacement to `offsets`, fsync the directory,
    /// then delete the old log. A crash at any point leaves either the old or the new log, and
    /// ``init(directory:name:durability:compactionThreshold:onCompactionFailure:)`` finishes the job.
    ///
    /// When a step fails (an I/O error, not a crash), the directory is repaired the same way and
    /// the surviving log, old or new, is reopened: both hold the last commit, so the group goes on
    /// committing, and the next compaction starts afresh.
    ///
    /// - Parameter crashAfter: test hook; stop (as a crash would) right after this step, leaving
    ///   the directory as a killed process would.
    public func compact(crashAfter: CompactionStep? = nil) throws {
        try state.withLock { state in
            guard let last = state.last else { return }
            do {
                try swapInReplacement(holding: last, in: &state, crashAfter: crashAfter)
            } catch let crash as SimulatedCrash {
                throw StorageError.closed(log: "\(name) (test crash after \(crash.step))")
            } catch {
                do {
                    try repairAfterFailedCompaction(&state)
                } catch {
                    // Left for the next commit, which repairs before it writes.
                    state.needsRepair = true
                }
                throw error
            }
        }
    }

    private struct SimulatedCrash: Error {
        var step: CompactionStep
    }

    private func swapInReplacement(holding last: [UInt8], in state: inout State, crashAfter: CompactionStep?) throws {
        let replacementPath = directory + "/" + Self.replacementName
        if FileIO.exists(replacementPath) { try FileIO.removeTree(replacementPath) }
        let (replacement, _) = try RecordLog.open(
            directory: replacementPath, name: name, configuration: Self.configuration(durability),
            firstOffset: state.log.bounds.nextOffset)
        do {
            _ = try Self.appendCommit(last, to: replacement)
            try replacement.close()
        } catch {
            try? replacement.close()
            throw error
        }
        try FileIO.syncDirectory(directory)
        if crashAfter == .wroteReplacement { throw SimulatedCrash(step: .wroteReplacement) }

        state.logClosed = true
        try state.log.close()
        try FileIO.rename(directory + "/" + Self.logName, to: directory + "/" + Self.oldName)
        try FileIO.syncDirectory(directory)
        if crashAfter == .movedOldAside { throw SimulatedCrash(step: .movedOldAside) }

        try FileIO.rename(replacementPath, to: directory + "/" + Self.logName)
        try FileIO.syncDirectory(directory)
        if crashAfter == .movedReplacementIn { throw SimulatedCrash(step: .movedReplacementIn) }

        try FileIO.removeTree(directory + "/" + Self.oldName)
        try FileIO.syncDirectory(directory)
        if crashAfter == .removedOld { throw SimulatedCrash(step: .removedOld) }

        state.log = try Self.openLive(in: directory, name: name, durability: durability).0
        state.logClosed = false
    }

    /// Puts the directory back in order after a failed compaction (as startup would) and reopens
    /// the live log, unless the old one is still open in place.
    func repairAfterFailedCompaction(_ state: inout State) throws {
        let liveInPlace = !state.needsRepair && FileIO.exists(directory + "/" + Self.logName) && !state.logClosed
        try Self.finishInterruptedCompaction(in: directory)
        if !liveInPlace {
            try? state.log.close()
            state.log = try Self.openLive(in: directory, name: name, durability: durability).0
            state.logClosed = false
        }
        state.needsRepair = false
    }

    /// Completes or rolls back a compaction: the replacement is only renamed in after it was fully
    /// written and flushed, so whenever `offsets` is missing the replacement (or the old log) is whole.
    static func finishInterruptedCompaction(in directory: String) throws {
        let live = directory + "/" + logName
        let replacement = directory + "/" + replacementName
        let old = directory + "/" + oldName
        let (hasLive, hasReplacement, hasOld) = (FileIO.exists(live), FileIO.exists(replacement), FileIO.exists(old))
        // Nothing was interrupted (the usual case): no change, and so no directory fsync, which
        // every group paid at every start-up.
        guard hasReplacement || hasOld else { return }
        if hasLive {
            if hasReplacement { try FileIO.removeTree(replacement) }
            if hasOld { try FileIO.removeTree(old) }
        } else if hasOld {
            if hasReplacement {
                try FileIO.rename(replacement, to: live)
                try FileIO.removeTree(old)
            } else {
                try FileIO.rename(old, to: live)
            }
        } else {
            try FileIO.removeTree(replacement)
        }
        try FileIO.syncDirectory(directory)
    }
}
