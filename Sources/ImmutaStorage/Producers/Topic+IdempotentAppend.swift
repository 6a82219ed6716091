import ImmutaLocks
import Synchronization

/// What an idempotent append did.
public struct IdempotentAppend: Sendable, Hashable {
    /// Where the batch is: where it was stored now, or, for a resend, where it was stored before.
    public var result: AppendResult
    /// True when the batch was a resend of one already stored, and nothing was appended.
    public var duplicate: Bool
    /// The offset after the producer entry in the producer-state log, for the durability wait.
    let stateEnd: UInt64
}

/// The idempotent-producer state of one topic, behind the topic's sequencing lock.
struct Sequencing: Sendable {
    var stateLog: ProducerStateLog?
    var table = ProducerTable()
    var lastCheckpoint: UInt64 = 0
}

extension Topic {
    /// Appends a batch of an idempotent producer: `sequence` must follow the producer's last stored
    /// batch on this topic. A resend of a remembered batch appends nothing and returns the original
    /// offsets; a sequence that skips ahead is refused, so after a failed batch the later ones a
    /// producer had in flight are refused too instead of landing out of order.
    ///
    /// - Throws: ``StorageError/sequenceGap(topic:producer:expected:received:)``,
    ///   ``StorageError/sequenceForgotten(topic:producer:sequence:oldestRemembered:)``,
    ///   ``StorageError/tooManyProducers(topic:limit:)``, or what ``RecordLog/append(framed:timestamp:expectedCount:prepare:)`` throws.
    public func appendIdempotent(
        framed bytes: UnsafeRawBufferPointer, expectedCount: Int? = nil, producer: UInt64, sequence: UInt64,
        limits: ProducerLimits = ProducerLimits()
    ) throws -> IdempotentAppend {
        let checksum = CRC32C.checksum(bytes)
        try log.recoverIfFailed()
        return try sequencing.withLock { state in
            while true {
                switch state.table.verdict(producer: producer, sequence: sequence) {
                case .duplicate(let entry):
                    guard entry.batchChecksum == checksum else {
                        throw StorageError.sequenceReused(topic: name, producer: producer, sequence: sequence)
                    }
                    guard try stillHolds(entry) else {
                        // Its append failed after the entry was written: not a duplicate after all.
                        state.table.forget(entry)
                        continue
                    }
                    let stored = AppendResult(firstOffset: entry.firstOffset, count: UInt64(entry.count), timestamp: entry.timestamp)
                    return IdempotentAppend(result: stored, duplicate: true, stateEnd: state.stateLog?.log.nextOffset ?? 0)
                case .forgotten(let oldest):
                    throw StorageError.sequenceForgotten(topic: name, producer: producer, sequence: sequence, oldestRemembered: oldest)
                case .unknownProducer:
                    throw StorageError.unknownProducer(topic: name, producer: producer, sequence: sequence)
                case .gap(let expected):
                    throw StorageError.sequenceGap(topic: name, producer: producer, expected: expected, received: sequence)
                case .store:
                    return try store(bytes, checksum: checksum, expectedCount: expectedCount, producer: producer, sequence: sequence, limits: limits, state: &state)
                }
            }
        }
    }

    private func store(
        _ bytes: UnsafeRawBufferPointer, checksum: UInt32, expectedCount: Int?, producer: UInt64, sequence: UInt64,
        limits: ProducerLimits, state: inout Sequencing
    ) throws -> IdempotentAppend {
        try state.table.admit(producer: producer, now: currentTimeNanoseconds(), limits: limits, topic: name)
        if state.stateLog == nil {
            state.stateLog = try ProducerStateLog.open(topicDirectory: directory, topicName: name, topicLog: log, create: true)?.0
        }
        guard let stateLog = state.stateLog else { throw StorageError.closed(log: "producer state of topic \(name)") }
        var entry: ProducerEntry?
        var stateEnd: UInt64 = 0
        // The entry is written first, under the topic writer's lock: a crash between the two
        // writes leaves an entry for records that are not there, which replay drops as beyond the
        // end, never records without their entry (which a resend would then store twice).
        let result = try log.append(framed: bytes, expectedCount: expectedCount) { firstOffset, timestamp, count in
            let made = ProducerEntry(
                producerID: producer, sequence: sequence, firstOffset: firstOffset, count: UInt32(clamping: count),
                batchChecksum: checksum, timestamp: timestamp)
            stateEnd = try stateLog.append(made)
            entry = made
        }
        if let entry { state.table.record(entry) }
        try stateLog.checkpointIfDue(&state.table, limits: limits, since: &state.lastCheckpoint)
        return IdempotentAppend(result: result, duplicate: false, stateEnd: stateEnd)
    }

    /// Whether the log still holds the batch an entry describes, byte for byte. Records retention
    /// already deleted cannot be checked and are taken as held.
    private func stillHolds(_ entry: ProducerEntry) throws -> Bool {
        guard entry.nextOffset <= log.nextOffset else { return false }
        let batch: RecordBatch
        do {
            batch = try log.read(from: entry.firstOffset, maxRecords: Int(entry.count), maxBytes: Int(Int32.max))
        } catch StorageError.offsetBelowEarliest {
            return true
        }
        return batch.count == Int(entry.count) && batch.entries.last?.isBatchEnd == true
            && CRC32C.checksum(batch.framed) == entry.batchChecksum
    }

    /// Calls `done` once the batch and its producer-state entry are on stable storage, or with
    /// the error that stopped either flush (see ``RecordLog/whenDurable(upTo:_:)``).
    public func whenDurable(_ append: IdempotentAppend, _ done: @escaping @Sendable (StorageError?) -> Void) {
        let stateLog = sequencing.withLock { $0.stateLog }
        log.whenDurable(upTo: append.result.nextOffset) { failure in
            guard failure == nil, let stateLog else { return done(failure) }
            stateLog.log.whenDurable(upTo: append.stateEnd, done)
        }
    }

    /// Waits until the batch and its producer entry are on stable storage.
    public func waitUntilDurable(_ append: IdempotentAppend) async throws {
        try await log.waitUntilDurable(append.result)
        if let stateLog = sequencing.withLock({ $0.stateLog }) {
            try await stateLog.log.waitUntilDurable(upTo: append.stateEnd)
        }
    }
}
