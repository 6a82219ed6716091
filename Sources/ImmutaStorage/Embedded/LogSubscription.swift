/// The records of a log from a start offset on, as an `AsyncSequence` that waits for new records
/// at the end instead of finishing: `tail -f` for a ``RecordLog``, shaped like the daemon client's
/// `ImmutaSubscription` (elements with `offset`, `timestamp`, `payload`, `bytes` and `string`).
///
/// ```swift
/// for try await record in try log.subscribe(from: .earliest) {
///     print(record.offset, record.string)
/// }
/// ```
///
/// The stream pulls: each `next()` reads from the segment files (a batch at a time) outside the
/// writer's lock, and at the end of the log waits to be woken by the append that brings the next
/// record. A reader that stops calling `next()` holds nothing and so never slows the writer.
///
/// `next()` returns nil, ending a `for` loop, once the iterating task is cancelled or the log is
/// closed (records already read into the iterator's current batch are still handed out). It throws
/// ``LogSubscriptionError/Code-swift.struct/fellBehindRetention`` when retention deleted records it
/// had not read yet, and the ``StorageError`` of a failed read (a checksum mismatch, say).
///
/// Each iterator is independent: iterating the same subscription twice reads the records twice.
public struct LogSubscription: AsyncSequence, Sendable {
    public typealias Element = Record

    /// The log read.
    public let log: RecordLog
    /// The offset the subscription starts at, resolved when it was made.
    public let startOffset: UInt64
    let batchRecords: Int
    let batchBytes: Int
    /// Kept alive while the subscription is: the ``EmbeddedLog`` that made it, which closes the log
    /// when the last reference to it goes.
    let owner: (any AnyObject & Sendable)?

    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, readOffset: startOffset, batchRecords: batchRecords, batchBytes: batchBytes, owner: owner)
    }

    /// Hands out the records of one batch, then reads (or waits for) the next.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let log: RecordLog
        /// Where the next read starts: the offset after the current batch.
        var readOffset: UInt64
        let batchRecords: Int
        let batchBytes: Int
        /// Keeps the subscription's ``EmbeddedLog`` open while the iterator lives.
        let owner: (any AnyObject & Sendable)?
        var batch: RecordBatch?
        var index = 0
        var finished = false

        /// The next record; nil when the task is cancelled or the log closed.
        public mutating func next() async throws -> Record? {
            guard !finished else { return nil }
            do {
                if Task.isCancelled { return end() }
                while index >= batch?.count ?? 0 {
                    guard try await readOrWait() else { return end() }
                }
            } catch {
                _ = end()
                throw error
            }
            guard let batch else { return end() }
            defer { index += 1 }
            return Record(
                offset: batch.firstOffset + UInt64(index), timestamp: batch.entries[index].timestamp,
                payload: Array(batch.payload(index)))
        }

        private mutating func end() -> Record? {
            finished = true
            batch = nil
            return nil
        }

        /// Reads the next batch, or, at the end of the log, waits until a record arrives (no
        /// polling: the append wakes it). Returns false when the stream ends.
        private mutating func readOrWait() async throws -> Bool {
            let read: RecordBatch
            do {
                read = try log.read(from: readOffset, maxRecords: batchRecords, maxBytes: batchBytes)
            } catch {
                return try endOfRead(after: error)
            }
            if !read.isEmpty {
                batch = read
                index = 0
                readOffset = read.nextOffset
                return true
            }
            do {
                _ = try await log.waitForRecords(beyond: readOffset)
            } catch {
                // Cancelled, or woken by close: both end the stream quietly.
                if error is CancellationError || log.isClosed { return false }
                throw error
            }
            return true
        }

        /// Ends the stream quietly when a read failed because the log closed; names the gap when
        /// retention overtook the reader (a read below the earliest offset, or of a segment file
        /// that retention unlinked between locating and reading it); else rethrows.
        private func endOfRead(after error: any Error) throws -> Bool {
            if log.isClosed { return false }
            let bounds = log.bounds
            if bounds.earliestOffset > readOffset {
                throw LogSubscriptionError(
                    code: .fellBehindRetention, log: log.name, offset: readOffset,
                    earliestOffset: bounds.earliestOffset, nextOffset: bounds.nextOffset)
            }
            throw error
        }
    }
}
