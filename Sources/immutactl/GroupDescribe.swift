import ImmutaStorage
import ArgumentParser
import Immuta

/// `immutactl group describe TOPIC GROUP [--json]`, like `kafka-consumer-groups --describe`.
struct GroupDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show a consumer group's offsets, lag, in-flight records, settings and members.",
        discussion: """
            Examples:
              immutactl group describe orders billing
              immutactl group describe orders billing --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Argument(help: "The group.", completion: NameCompletion.groups)
    var group: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        try SafeNameCheck.validate(topic)
        try SafeNameCheck.validate(group, kind: "group")
    }

    func run() async throws {
        let (info, notes) = try await ImmutaClient.with(connection) {
            (try await $0.describeGroup(topic, group: group), try await $0.groupRecoveryNotes(topic, group: group))
        }
        if json {
            guard case .object(var fields) = info.json else { return }
            fields.append(("recovery", .array(notes.map { .string($0) })))
            print(JSON.object(fields).rendered)
            return
        }
        let ackTimeout = Int64(info.ackTimeoutMilliseconds)
        let rows: [[String]] = [
            ["topic:", info.topic],
            ["group:", info.group],
            ["committed offset:", String(info.committedOffset)],
            ["next offset:", String(info.nextOffset)],
            ["lag:", String(info.lag)],
            ["in flight:", String(info.inFlight)],
            ["redelivered:", String(info.redelivered)],
            ["dead-lettered:", String(info.deadLettered)],
            ["max in flight:", String(info.maxInFlight)],
            ["ack timeout:", "\(ackTimeout) ms (\(Quantities.describe(milliseconds: ackTimeout)))"],
            ["max deliveries:", String(info.maxDeliveries)],
            ["dead-letter topic:", info.deadLetterTopic],
            ["members:", String(info.members.count)],
        ]
        let width = rows.map { $0[0].count }.max() ?? 0
        for row in rows + notes.map({ ["recovery:", $0] }) {
            print(row[0] + String(repeating: " ", count: width - row[0].count + 1) + row[1])
        }
        guard !info.members.isEmpty else { return }
        print()
        let members = info.members.map { [$0.clientName, String($0.pid), String($0.inFlight), $0.lastSeen] }
        print(table(["CLIENT", "PID", "IN-FLIGHT", "LAST SEEN"], members, rightAligned: [1, 2]))
    }
}
