import ArgumentParser
import Immuta
import ImmutaStorage

/// `immutactl group pending TOPIC GROUP`: the records handed out and not yet acknowledged.
struct GroupPending: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "List the records a consumer group has handed out and not yet seen acknowledged.",
        discussion: """
            Like Redis's XPENDING: each record a member holds (with the member, how long it has held it \
            and when its ack timeout passes) or that waits for redelivery after a nack, an ack timeout or \
            a member leaving, with its delivery count. Settle one by hand with `group ack` or `group nack`.

            Examples:
              immutactl group pending orders billing
              immutactl group pending orders billing --from 5000 --limit 20 --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Argument(help: "The group.", completion: NameCompletion.groups)
    var group: String

    @Option(help: ArgumentHelp("List from this offset on.", valueName: "offset"))
    var from: UInt64 = 0

    @Option(help: ArgumentHelp("At most this many records, 1 to 1000.", valueName: "n"))
    var limit = 100

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        try SafeNameCheck.validate(topic)
        try SafeNameCheck.validate(group, kind: "group")
        guard (1...1000).contains(limit) else { throw ValidationError("--limit \(limit) must be from 1 to 1000") }
    }

    func run() async throws {
        let pending = try await ImmutaClient.with(connection) {
            try await $0.pendingRecords(topic, group: group, from: from, limit: limit)
        }
        if json {
            let records: [JSON] = pending.records.map {
                .object([
                    ("offset", .uint($0.offset)), ("state", .string($0.isHeld ? "held" : "waiting")),
                    ("deliveries", .int(Int64($0.deliveryCount))), ("client", .string($0.clientName)), ("pid", .int(Int64($0.pid))),
                    ("held_ms", .int(Int64($0.heldMilliseconds))), ("ack_due_ms", .int(Int64($0.ackDueMilliseconds))),
                ])
            }
            print(JSON.object([("held", .int(Int64(pending.held))), ("waiting", .int(Int64(pending.waiting))), ("records", .array(records))]).rendered)
            return
        }
        print("\(plural(pending.held, "record")) held by members, \(pending.waiting) waiting for redelivery")
        guard !pending.records.isEmpty else { return }
        let rows = pending.records.map { record -> [String] in
            let holder = record.isHeld ? "\(record.clientName) (pid \(record.pid))" : "-"
            let held = record.isHeld ? Quantities.describe(milliseconds: Int64(record.heldMilliseconds)) : "-"
            let due = record.isHeld ? Quantities.describe(milliseconds: Int64(record.ackDueMilliseconds)) : "-"
            return ["\(record.offset)", record.isHeld ? "held" : "waiting", "\(record.deliveryCount)", holder, held, due]
        }
        print(table(["OFFSET", "STATE", "DELIVERIES", "MEMBER", "HELD FOR", "ACK DUE IN"], rows, rightAligned: [0, 2]))
    }
}
