import Dispatch
import ImmutaLocks
import ImmutaStorage
import Logging
import Synchronization

extension ConsumerGroup {
    /// Copies a record that failed too often to the dead-letter topic and counts it as acked.
    ///
    /// Fix: when the dead-letter topic refused the record (its records may be smaller, its disk is
    /// full, another group created it at the same moment…), the record used to be dropped and
    /// counted as acked, so the committed offset passed a record nobody processed. Now this
    /// returns false and the caller delivers the record again; the next attempt retries.
    ///
    /// Fix: the copy was only written, not waited for, before the group committed past the record,
    /// so a flush of the dead-letter topic that failed (or a power loss) lost a record both topics
    /// had let go of. The group now waits until the copy is durable as the dead-letter topic's
    /// durability promises (flushed under `fsync`; written under `none` and `interval`), and a
    /// flush that fails counts as a refusal.
    func deadLetter(_ offset: UInt64, deliveries: UInt16, settings: GroupSettings, in state: inout State) -> Bool {
        do {
            let record = try topic.log.read(from: offset, maxRecords: 1, maxBytes: 1)
            do {
                let target = try deadLetterTopics.topic(
                    settings.deadLetterTopic, for: settings, configuration: topic.log.configuration)
                let appended = try record.framed.withUnsafeBytes { try target.log.append(framed: $0) }
                if target.log.configuration.durability == .fsync {
                    try Self.waitUntilDurable(target.log, appended)
                }
            } catch {
                logger.error(
                    "could not dead-letter a record; delivering it again",
                    metadata: ["offset": "\(offset)", "dead_letter_topic": "\(settings.deadLetterTopic)", "error": "\(error)"])
                return false
            }
            logger.warning(
                "record dead-lettered after too many deliveries",
                metadata: ["offset": "\(offset)", "deliveries": "\(deliveries)", "dead_letter_topic": "\(settings.deadLetterTopic)"])
            state.deadLettered += 1
        } catch {
            // The record itself cannot be read (retention deleted it): there is nothing to move.
            logger.error("could not read a record to dead-letter it; skipping it", metadata: ["offset": "\(offset)", "error": "\(error)"])
        }
        let target = Self.committedAfterAcking([offset], in: state)
        if target != state.committed {
            do {
                try offsets.commit(target)
            } catch {
                // The record is safe in the dead-letter topic, so the group is done with it; the
                // offset log catches up with the next commit (or, after a crash, the record is
                // dead-lettered again: at least once).
                logger.error(
                    "could not commit past a dead-lettered record", metadata: ["offset": "\(target)", "error": "\(error)"])
            }
        }
        Self.markAcked(offset, in: &state)
        return true
    }

    /// Blocks until the append is on stable storage. Called on the group's pump worker or an
    /// acking connection's worker (NIOThreadPool threads made for blocking calls, never a Swift
    /// concurrency thread), and the wait is released by the log's own flush queue.
    static func waitUntilDurable(_ log: RecordLog, _ appended: AppendResult) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = Locked<StorageError?>(nil)
        log.whenDurable(upTo: appended.nextOffset) { error in
            failure.withLock { $0 = error }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
