import ArgumentParser
import Immuta

/// `consume --group`: one member of a consumer group with managed delivery. Each record is
/// acknowledged only once its bytes were written to standard output, so a crash or a closed pipe
/// never acknowledges a record that was not printed; the daemon gives such records to another
/// member (at-least-once).
struct GroupConsumption: Sendable {
    var topic: String
    var group: String
    var start: StartPosition
    var options: GroupOptions
    var count: Int?
    var follow: Bool
    var format: RecordFormat
    /// `--exec`: a command handles the records instead of standard output.
    var exec: ExecConsumption?

    /// Joins, prints until done (see `consume --help`), acknowledges and leaves. After SIGINT or
    /// SIGTERM it does the same, then exits with 128 + the signal's number.
    func run(_ client: ImmutaClient) async throws {
        let signals = SignalStop()
        // --max-in-flight bounds this member too, in a group that exists; with --exec the member
        // holds no more than the command's batch unless told otherwise.
        let consumer = try await client.joinGroup(
            topic, group: group, from: start, options: options, stopWhenIdle: !follow,
            maxInFlight: options.maxInFlight ?? exec?.batch)
        let outcome = await signals.run {
            if let exec {
                let summary = try await exec.run(consumer, limit: count ?? .max)
                printError(summary.description)
            } else {
                try await deliver(consumer)
            }
        }
        do {
            try await consumer.flushAcks()
            try await consumer.leave()
        } catch {
            if case .failure(let first) = outcome { throw first }
            throw error
        }
        if case .failure(let error) = outcome { throw error }
        if let signal = signals.received { throw ExitCode(128 + signal) }
    }

    /// Prints and acknowledges records until the group has nothing more for this member (without
    /// --follow), --count is reached, the task is cancelled, or the reader of the output goes away.
    private func deliver(_ consumer: GroupConsumer) async throws {
        let output = OutputWriter()
        var pending = PendingAcks()
        var iterator = consumer.makeAsyncIterator()
        let limit = count ?? Int.max
        var printed = 0
        do {
            while printed < limit, !Task.isCancelled, let message = try await iterator.next() {
                try output.write(
                    message.record, format: format, delivery: format == .json ? message.deliveryCount : nil)
                pending.append(message, end: output.position)
                printed += 1
                // The iterator sends our acks before it waits for the next delivery, and the daemon
                // sends nothing more once we hold max_in_flight records: flush at the end of each
                // delivery, not per record, and acknowledge what is out.
                if iterator.bufferedCount == 0 { try output.flush() }
                pending.acknowledge(through: output.written)
            }
            try output.flush()
            pending.acknowledge(through: output.written)
        } catch is BrokenPipe {
            // The reader has gone (`| head`): what reached it is acknowledged, the rest goes back.
            pending.acknowledge(through: output.written)
        } catch {
            try? output.flush()
            pending.acknowledge(through: output.written)
            throw error
        }
    }
}

/// Records written to the output buffer but not yet acknowledged, with where each one ends in
/// the output stream.
struct PendingAcks {
    private var messages: [GroupMessage] = []
    private var ends: [UInt64] = []
    private var head = 0

    mutating func append(_ message: GroupMessage, end: UInt64) {
        messages.append(message)
        ends.append(end)
    }

    /// Acknowledges every record whose last byte is below `written`.
    mutating func acknowledge(through written: UInt64) {
        while head < messages.count && ends[head] <= written {
            messages[head].ack()
            head += 1
        }
        if head == messages.count {
            messages.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
