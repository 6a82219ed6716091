// Test-only consumer-group member for ImmutaIntegrationTests; not installed.
//
// Joins TOPIC/GROUP with managed delivery and prints one line per record to standard output,
// flushed right away, so that a test can wait on the lines instead of sleeping:
//
//     joined member=<id> committed=<offset>
//     offset=<o> delivery=<n> payload=<utf8, newlines escaped>
//     ...
//     end received=<n>
//
// It acks each record after printing it, unless --no-ack (hold everything) or --nack-all.
import ArgumentParser
import Foundation
import Immuta

struct GroupMember: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immuta-group-member",
        abstract: "A consumer-group member that prints what it receives (for integration tests).")

    @Argument(help: "The daemon's socket.") var socket: String
    @Argument(help: "The topic.") var topic: String
    @Argument(help: "The group.") var group: String

    @Option(help: "Where a new group starts: earliest, latest or an offset.") var from = "earliest"
    @Option(help: "The group's max in-flight records per member (when this member creates it).") var maxInFlight: Int?
    @Option(help: "The group's ack timeout in milliseconds (when this member creates it).") var ackTimeoutMs: Int?
    @Option(help: "Deliveries before dead-lettering (when this member creates it).") var maxDeliveries: Int?
    @Option(help: "The dead-letter topic (when this member creates it).") var deadLetterTopic: String?
    @Option(help: "The client name sent in HELLO.") var name = "immuta-group-member"
    @Flag(help: "Hold every record without acking it.") var noAck = false
    @Flag(help: "Nack every record.") var nackAll = false
    @Flag(help: "End once the group has nothing more for this member.") var stopWhenIdle = false
    @Option(help: "Leave and exit after this many records.") var count: Int?

    func validate() throws {
        if noAck && nackAll { throw ValidationError("--no-ack and --nack-all exclude each other") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    var start: StartPosition {
        get throws {
            switch from {
            case "earliest": return .earliest
            case "latest": return .latest
            default:
                guard let offset = UInt64(from) else { throw ValidationError("--from \(from): earliest, latest or an offset") }
                return .offset(offset)
            }
        }
    }

    func run() async throws {
        let client = try await ImmutaClient.connect(socketPath: socket, clientName: name)
        let options = GroupOptions(
            maxInFlight: maxInFlight, ackTimeout: ackTimeoutMs.map { .milliseconds($0) }, maxDeliveries: maxDeliveries,
            deadLetterTopic: deadLetterTopic)
        let consumer = try await client.joinGroup(topic, group: group, from: try start, options: options, stopWhenIdle: stopWhenIdle)
        emit("joined member=\(consumer.memberID) committed=\(consumer.committedOffset)")
        var received = 0
        for try await message in consumer {
            let payload = message.record.string.replacingOccurrences(of: "\n", with: "\\n")
            emit("offset=\(message.record.offset) delivery=\(message.deliveryCount) payload=\(payload)")
            if nackAll {
                message.nack()
            } else if !noAck {
                message.ack()
            }
            received += 1
            if let count, received >= count { break }
        }
        if count != nil {
            try await consumer.leave()
        } else {
            try await consumer.flushAcks()
        }
        emit("end received=\(received)")
        await client.close()
    }

    /// Writes one line straight to file descriptor 1 (no stdio buffering).
    func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

// Top-level code (this file is main.swift), so parse and run by hand rather than with @main.
do {
    let command = try GroupMember.parse()
    try await command.run()
} catch {
    GroupMember.exit(withError: error)
}
