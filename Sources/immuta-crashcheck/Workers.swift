import Immuta
import Synchronization
import ImmutaTestSupport

/// Tells a worker to stop after the request it is in.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// The clients that load the daemon during a crash cycle. Each runs until its connection breaks
/// (the kill) and reports what contradicts the ledgers; a lost connection is the expected end.
enum Workers {
    /// Produces batches with `ack: .fsync`, noting each batch as pending before it is sent.
    static func produce(
        _ client: ImmutaClient, ledger: TopicLedger, producer: String, random: SeededGenerator, report: RunReport
    ) async {
        var random = random
        var sequence = 0
        while !Task.isCancelled {
            sequence += 1
            let id = "\(ledger.topic).\(producer).\(sequence)"
            let payloads = Payloads.batch(id: id, count: Int.random(in: 1...8, using: &random), using: &random, sizes: 24...900)
            ledger.sending(id, payloads)
            guard let result = try? await client.produce(ledger.topic, payloads, ack: .fsync) else { return }
            if let problem = ledger.acknowledged(id, firstOffset: result.firstOffset, count: result.count) {
                report.fail("kill", problem)
            }
            report.count { $0.recordsAcknowledged += result.count }
        }
    }

    /// The idempotent producer of a topic: one for the whole run, so it outlives every kill. Each
    /// batch is resent (same producer id and sequence) until it is acknowledged, across the
    /// restart; the audits then find it exactly once.
    static func produceIdempotently(
        _ producer: ImmutaProducer, ledger: TopicLedger, first: Int, random: SeededGenerator, stop: StopFlag, report: RunReport
    ) async -> Int {
        var random = random
        var sequence = first
        while !stop.isSet {
            let id = "\(ledger.topic).idem.\(sequence)"
            let payloads = Payloads.batch(id: id, count: Int.random(in: 1...8, using: &random), using: &random, sizes: 24...900)
            ledger.sending(id, payloads)
            do {
                let result = try await producer.produce(ledger.topic, payloads, ack: .fsync)
                if let problem = ledger.acknowledged(id, firstOffset: result.firstOffset, count: result.count) {
                    report.fail("kill", problem)
                }
                report.count { $0.recordsAcknowledged += result.count }
            } catch {
                report.fail("kill", "idempotent batch \(id) failed after its resends: \(error)")
                return sequence + 1
            }
            sequence += 1
        }
        return sequence
    }

    /// A managed-delivery member that acks everything it receives, checking the bytes it gets.
    static func consumeManaged(
        _ client: ImmutaClient, topic: TopicLedger, group: GroupLedger, report: RunReport
    ) async {
        do {
            let consumer = try await client.joinGroup(topic.topic, group: group.group, from: .earliest)
            for try await message in consumer {
                checkDelivered(message.record, topic: topic, who: "group \(group.group)", report: report)
                group.acking(message.record.offset)
                message.ack()
            }
        } catch {}
    }

    /// A manual-commit consumer: fetch from the committed offset, check, commit what was read.
    static func consumeManually(
        _ client: ImmutaClient, topic: TopicLedger, group: GroupLedger, report: RunReport
    ) async {
        do {
            var position = try await client.committedOffset(topic.topic, group: group.group, creatingAt: .earliest)
            while !Task.isCancelled {
                let batch = try await client.fetch(topic.topic, from: .offset(position), maxRecords: 300, wait: .milliseconds(200))
                guard !batch.records.isEmpty else { continue }
                for record in batch.records { checkDelivered(record, topic: topic, who: "group \(group.group)", report: report) }
                position = batch.nextOffset
                try await client.commit(topic.topic, group: group.group, offset: position)
                group.commitAcknowledged(position)
            }
        } catch {}
    }

    /// A delivered record at an acknowledged offset must carry the acknowledged bytes.
    private static func checkDelivered(_ record: ImmutaRecord, topic: TopicLedger, who: String, report: RunReport) {
        guard let expected = topic.payload(at: record.offset) else { return }
        let bytes = record.bytes
        report.check(
            bytes == expected, "kill",
            "\(who) received \(LedgerAudit.describe(bytes)) at \(topic.topic) offset \(record.offset), acknowledged as \(LedgerAudit.describe(expected))")
    }
}
