import ImmutaLocks
import Synchronization

extension RecordLog {
    /// A stream of the log's records from `start` on, which waits for new records at the end (see
    /// ``LogSubscription``).
    ///
    /// ```swift
    /// let subscription = try log.subscribe(from: .offset(42))
    /// for try await record in subscription { handle(record.payload) }
    /// ```
    ///
    /// - Parameters:
    ///   - start: `.earliest` (the earliest retained record), `.latest` (the next record appended
    ///     from now on), `.offset(N)` (any offset from the earliest to the next), or
    ///     `.timestamp(T)` (the first record appended at or after `T`).
    ///   - batchRecords: at most this many records are read from disk at a time (at least 1).
    ///   - batchBytes: about this many bytes are read at a time (at least one record).
    /// - Throws: ``LogSubscriptionError/Code-swift.struct/startOutOfRange`` for an offset outside
    ///   the log, naming the valid range; ``StorageError/closed(log:)`` once the log is closed.
    public func subscribe(
        from start: StartPosition = .latest, batchRecords: Int = 1000, batchBytes: Int = 1 << 20
    ) throws -> LogSubscription {
        try subscribe(from: start, batchRecords: batchRecords, batchBytes: batchBytes, owner: nil)
    }

    func subscribe(
        from start: StartPosition, batchRecords: Int, batchBytes: Int, owner: (any AnyObject & Sendable)?
    ) throws -> LogSubscription {
        guard !isClosed else { throw StorageError.closed(log: name) }
        let offset: UInt64
        if case .offset(let requested) = start {
            let bounds = self.bounds
            guard requested >= bounds.earliestOffset && requested <= bounds.nextOffset else {
                throw LogSubscriptionError(
                    code: .startOutOfRange, log: name, offset: requested, earliestOffset: bounds.earliestOffset,
                    nextOffset: bounds.nextOffset)
            }
            offset = requested
        } else {
            offset = try resolve(start)
        }
        return LogSubscription(
            log: self, startOffset: offset, batchRecords: max(1, batchRecords), batchBytes: max(1, batchBytes), owner: owner)
    }

    /// Whether ``close()`` has run.
    var isClosed: Bool { shared.withLock { $0.closed } }
}
