import Dispatch
import ImmutaLocks
import ImmutaStorage
import Synchronization

extension TopicSource {
    /// Appends the messages not applied yet as one batch, and returns once the batch is durable
    /// at the topic's ack level. A message at or below the applied sequence is a redelivery
    /// (after a crash, or an acknowledgement JetStream lost): skipped.
    func apply(_ messages: [FetchedMessage]) throws {
        let applied = figures.withLock { $0.applied }
        let fresh = messages.filter { $0.streamSequence > applied }
        let now = wallClockNanoseconds()
        guard let last = fresh.last else {
            figures.withLock { $0.skipped += UInt64(messages.count) }
            return
        }
        var framed = [UInt8]()
        framed.reserveCapacity(fresh.reduce(0) { $0 + RecordFraming.headerSize + $1.payload.count })
        for message in fresh {
            withUnsafeBytes(of: UInt64(message.payload.count).littleEndian) { framed.append(contentsOf: $0) }
            framed.append(contentsOf: message.payload)
        }
        let result = try framed.withUnsafeBytes { bytes in
            try topic.log.append(framed: bytes, expectedCount: fresh.count) { firstOffset, _, count in
                try self.progress.record(
                    SourceProgress.Entry(
                        firstOffset: firstOffset, count: UInt64(count), previousSequence: applied, lastSequence: last.streamSequence))
            }
        }
        try waitUntilDurable(upTo: result.nextOffset)
        figures.withLock { figures in
            figures.applied = last.streamSequence
            figures.appended += UInt64(fresh.count)
            figures.skipped += UInt64(messages.count - fresh.count)
            figures.pending = last.pending
            figures.lagMilliseconds = last.pending == 0 ? 0 : max(0, (now - last.timestamp) / 1_000_000)
        }
    }

    /// Waits for the records (at the topic's durability) and the progress entry to reach the disk,
    /// so an acknowledgement never goes out for a message a crash could still take away.
    private func waitUntilDurable(upTo end: UInt64) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        if case .fsync = topic.log.configuration.durability {
            topic.log.whenDurable(upTo: end) { error in
                failure.set(error)
                done.signal()
            }
        } else {
            done.signal()
        }
        progress.log.whenDurable { error in
            failure.set(error)
            done.signal()
        }
        done.wait()
        done.wait()
        if let error = failure.error { throw error }
    }
}

/// The first error of two flushes that report on other threads.
private final class FailureBox: Sendable {
    private let stored = Locked<StorageError?>(nil)
    var error: StorageError? { stored.withLock { $0 } }
    func set(_ error: StorageError?) {
        guard let error else { return }
        stored.withLock { if $0 == nil { $0 = error } }
    }
}

extension TopicSource {
    func status() -> LinkStatus {
        let now = wallClockMilliseconds()
        let figures = self.figures.withLock { $0 }
        let control = self.control.state.withLock { $0 }
        let rate = meter.withLock { meter in
            meter.add(count: figures.appended, at: now)
            return meter.perSecond(count: figures.appended, at: now)
        }
        return LinkStatus(
            kind: .source, name: settings.name, topic: topic.name, stream: settings.stream, target: consumer, phase: control.phase,
            position: figures.applied, topicEnd: topic.log.nextOffset, lagRecords: figures.pending, lagMilliseconds: figures.lagMilliseconds,
            recordsPerSecond: rate, records: figures.appended, duplicates: figures.skipped, rewinds: control.rewinds,
            lastError: control.lastError ?? "", lastErrorAt: control.lastErrorAt ?? 0)
    }
}
