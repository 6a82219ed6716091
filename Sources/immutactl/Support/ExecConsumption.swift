import Immuta
import ImmutaProtocol
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// `consume --group G --exec CMD [--batch N]`: runs CMD for each record (or each batch of up to N)
/// and acknowledges what it handled: exit status 0 acks, anything else gives the records back
/// for redelivery (to any member; after max_deliveries they go to the dead-letter topic). Like
/// `nats consumer next --ack` or a Kafka consumer committing after its work: a record counts as
/// acknowledged only once CMD succeeded on it.
struct ExecConsumption {
    var command: String
    var batch: Int
    var format: RecordFormat
    var topic: String
    var group: String

    struct Summary {
        var acknowledged = 0
        var returned = 0
        var lateAcks = 0

        var description: String {
            "\(plural(acknowledged + returned, "record")) handled: \(acknowledged) acknowledged, \(returned) returned for redelivery"
                + (lateAcks > 0 ? ", \(lateAcks) whose ack came too late (delivered again)" : "")
        }
    }

    /// Handles records until the group has nothing more for this member (without --follow),
    /// `limit` records were handled, or the task is cancelled (a signal): the command that runs
    /// then is waited for, and what it handled settled, before this returns.
    func run(_ consumer: GroupConsumer, limit: Int) async throws -> Summary {
        let input = try ScratchFile()
        var summary = Summary()
        var iterator = consumer.makeAsyncIterator()
        while summary.acknowledged + summary.returned < limit, !Task.isCancelled, let first = try await iterator.next() {
            var messages = [first]
            let room = min(batch, limit - summary.acknowledged - summary.returned)
            // Only what has already arrived: a batch never waits for more records.
            while messages.count < room, iterator.bufferedCount > 0, let next = try await iterator.next() { messages.append(next) }
            try input.fill { writer in
                for message in messages {
                    if batch == 1 {
                        try message.record.payload.withUnsafeReadableBytes { try writer.write($0) }
                    } else {
                        try writer.write(message.record, format: format, delivery: format == .json ? message.deliveryCount : nil)
                    }
                }
            }
            let outcome = try await ChildCommand.run(command, input: input.descriptor, environment: environment(messages))
            if outcome.succeeded {
                for message in messages {
                    do {
                        try await message.acknowledge()
                        summary.acknowledged += 1
                    } catch let error as ImmutaError where error.code == .notHeld {
                        summary.lateAcks += 1
                        printError(
                            "immutactl: offset \(message.record.offset) was handled after its ack timeout passed; it went to another member (raise the group's ack_timeout: immutactl group config \(topic) \(group) --set ack_timeout=…)")
                    } catch let error as ImmutaError where error.isConnectionLost || error.code == .shuttingDown {
                        // The member joins again on a new connection; the daemon delivers the
                        // record again, as for any ack that did not reach it.
                        summary.lateAcks += 1
                        printError("immutactl: the connection was lost before offset \(message.record.offset) was acknowledged; it will be delivered again")
                    }
                }
            } else if Task.isCancelled {
                // Stopping (Ctrl-C reached the command too): leaving the group gives them back
                // without counting this delivery against max_deliveries.
                break
            } else {
                let offsets = messages.count == 1 ? "offset \(first.record.offset)" : "offsets \(first.record.offset)..\(messages.last!.record.offset)"
                printError("immutactl: the command \(outcome.description) on \(offsets) (delivery \(first.deliveryCount)); returned for redelivery")
                for message in messages {
                    do { try await message.reject() } catch let error as ImmutaError
                        where error.code == .notHeld || error.isConnectionLost || error.code == .shuttingDown {}
                    summary.returned += 1
                }
            }
        }
        return summary
    }

    /// What the command learns about its records, besides their bytes on standard input.
    private func environment(_ messages: [GroupMessage]) -> [String: String] {
        let first = messages[0].record
        return [
            "IMMUTA_TOPIC": topic, "IMMUTA_GROUP": group, "IMMUTA_OFFSET": "\(first.offset)",
            "IMMUTA_LAST_OFFSET": "\(messages.last!.record.offset)", "IMMUTA_RECORDS": "\(messages.count)",
            "IMMUTA_TIMESTAMP": RFC3339.format(nanoseconds: first.timestamp), "IMMUTA_DELIVERY": "\(messages[0].deliveryCount)",
        ]
    }
}

/// An unlinked temporary file rewritten for each command's standard input: no pipe to keep fed
/// while the command runs, and nothing left behind.
final class ScratchFile {
    let descriptor: Int32

    init() throws {
        let directory = ProcessEnvironment.temporaryDirectory
        var template = Array((directory + "/immutactl-exec-XXXXXX").utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw CLIError("cannot create a temporary file in \(directory): \(String(cString: strerror(errno))) (set TMPDIR)")
        }
        unlink(String(cString: template.withUnsafeBufferPointer { $0.baseAddress! }))
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    deinit { close(descriptor) }

    /// Replaces the contents with what `body` writes and rewinds, ready to be read.
    func fill(_ body: (OutputWriter) throws -> Void) throws {
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw CLIError("cannot rewrite a temporary file: \(String(cString: strerror(errno)))")
        }
        let writer = OutputWriter(fd: descriptor)
        try body(writer)
        try writer.flush()
        _ = lseek(descriptor, 0, SEEK_SET)
    }
}
