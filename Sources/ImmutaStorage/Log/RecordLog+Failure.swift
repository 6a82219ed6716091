import ImmutaLocks
import Synchronization

extension RecordLog {
    /// How long a failed log waits between attempts to recover, so a disk that keeps failing is
    /// not re-read on every write. Tests that loop faults shorten it.
    nonisolated(unsafe) static var recoveryInterval: Int64 = 1_000_000_000

    /// Stops the log from acknowledging writes: after a failed fdatasync the kernel may have
    /// dropped the dirty pages while reads still see them (PostgreSQL's "fsyncgate"), and after a
    /// failed rollback the files no longer match what readers were told. Appends are refused until
    /// ``recoverAfterFailure(_:)`` has brought the files back to a known state.
    func markFailed(_ error: any Error) {
        let now = monotonicNanoseconds()
        syncState.withLock { state in
            guard state.failure == nil else { return }
            state.failure = StorageError.wrap(error)
            state.lastRecoveryAttempt = now
        }
    }

    /// Whether the log refuses writes after a failure, and why.
    public var failure: StorageError? { syncState.withLock { $0.failure } }

    /// Runs `handler` with a line for the operator each time the log recovers from a failure.
    public func onRecovery(_ handler: @escaping @Sendable (String) -> Void) {
        recoveryHandler.withLock { $0 = handler }
    }

    /// Tries to recover a failed log now (see ``recoverAfterFailure(_:)``); nothing when it has not
    /// failed. A path that answers without appending (an idempotent resend) calls it, so that a
    /// failed log recovers even when no new batch arrives.
    ///
    /// - Throws: ``StorageError/failed(log:reason:)`` while the log stays failed.
    public func recoverIfFailed() throws {
        guard failure != nil else { return }
        try writer.withLock { state in
            guard !state.closed else { throw StorageError.closed(log: name) }
            try recoverAfterFailure(&state)
        }
    }

    /// Called by the writer while the log is failed. At most once per ``recoveryInterval`` it
    /// recovers the log as a restart would, and then writes every segment that holds records not
    /// known to be durable back to the file and flushes it: a page whose write-back failed is
    /// dirty again, so the flush either puts it on disk or fails again. Only when the flush
    /// succeeds does the log take writes again.
    ///
    /// - Throws: ``StorageError/failed(log:reason:)`` while the log stays failed.
    func recoverAfterFailure(_ writer: inout Writer) throws {
        let now = monotonicNanoseconds()
        let attempt = syncState.withLock { state -> (failure: StorageError, synced: UInt64, due: Bool)? in
            guard let failure = state.failure else { return nil }
            let due = now - state.lastRecoveryAttempt >= Self.recoveryInterval && !state.running
            if due { state.lastRecoveryAttempt = now }
            return (failure, state.synced, due)
        }
        guard let attempt else { return }
        guard attempt.due else { throw StorageError.failed(log: name, reason: attempt.failure.description) }
        let segments: [SegmentState]
        let report: RecoveryReport
        do {
            (segments, report) = try LogRecovery.load(
                directory: directory, log: name, policy: .repairTornTail, unflushedRolls: configuration.durability == .none)
            guard let last = segments.last else { throw StorageError.closed(log: name) }
            for segment in segments where segment.nextOffset > attempt.synced || segment.segment === last.segment {
                try Self.rewrite(segment)
            }
            try FileIO.syncDirectory(directory)
        } catch {
            throw StorageError.failed(log: name, reason: "\(attempt.failure); recovering failed too: \(StorageError.wrap(error))")
        }
        let last = segments[segments.count - 1]
        let previousEnd = writer.nextOffset
        writer.active = last.segment
        writer.activeDataSize = last.dataSize
        writer.activeCount = last.recordCount
        writer.nextOffset = last.nextOffset
        shared.withLock { state in
            state.segments = segments
            state.nextOffset = last.nextOffset
        }
        syncState.withLock { state in
            state.failure = nil
            state.sealedUnflushed.removeAll()
            state.synced = last.nextOffset
            state.requested = last.nextOffset
        }
        var note = "\(name) recovered from \(attempt.failure): records up to offset \(last.nextOffset) rewritten and flushed"
        if last.nextOffset < previousEnd { note += "; offsets \(last.nextOffset)..<\(previousEnd) were lost" }
        if !report.notes.isEmpty { note += "; " + report.notes.joined(separator: "; ") }
        let handler = recoveryHandler.withLock { $0 }
        handler?(note)
    }

    /// Writes a segment's files back over themselves and flushes them.
    private static func rewrite(_ state: SegmentState) throws {
        let segment = state.segment
        try segment.withFiles { files in
            let index = try FileIO.read(files.index, count: Int(state.recordCount) * IndexEntry.size, at: 0, path: segment.indexPath)
            let data = try FileIO.read(files.data, count: Int(state.dataSize), at: 0, path: segment.dataPath)
            try data.withUnsafeBytes { try FileIO.write(files.data, $0, at: 0, path: segment.dataPath) }
            try index.withUnsafeBytes { try FileIO.write(files.index, $0, at: 0, path: segment.indexPath) }
        }
        try segment.sync()
    }
}
