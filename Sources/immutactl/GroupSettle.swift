import ArgumentParser
import Immuta

/// `immutactl group ack|nack TOPIC GROUP OFFSET…`: settle pending records by hand.
struct GroupSettle: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Argument(help: "The group.", completion: NameCompletion.groups)
    var group: String

    @Argument(help: ArgumentHelp("Offsets of pending records (see group pending).", valueName: "offset"))
    var offsets: [UInt64]

    func validate() throws {
        try SafeNameCheck.validate(topic)
        try SafeNameCheck.validate(group, kind: "group")
        guard !offsets.isEmpty else { throw ValidationError("name at least one offset (see immutactl group pending)") }
        guard Set(offsets).count == offsets.count else { throw ValidationError("an offset is named twice") }
    }

    func run(ack: Bool) async throws {
        try await ImmutaClient.with(connection) { try await $0.settle(topic, group: group, offsets: offsets, ack: ack) }
        let what = plural(offsets.count, "record")
        print(ack ? "acknowledged \(what) of group \(group) on \(topic)" : "returned \(what) of group \(group) on \(topic) for redelivery")
    }
}

struct GroupAck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge pending records by hand, whichever member holds them (skip a poison record).",
        discussion: """
            The records count as processed and the committed offset moves past them when it can. A \
            member that still holds one is not told; its own later ack or nack of it is accepted and \
            changes nothing. All or nothing: an offset that is not pending fails the command.

            Examples:
              immutactl group ack orders billing 1042
            """)

    @OptionGroup var settle: GroupSettle

    func run() async throws { try await settle.run(ack: true) }
}

struct GroupNack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nack",
        abstract: "Take pending records back for redelivery by hand, whichever member holds them.",
        discussion: """
            For records held by a member that hangs: they go to another member now rather than at \
            their ack timeout. Their delivery count is kept. All or nothing.

            Examples:
              immutactl group nack orders billing 1042 1043
            """)

    @OptionGroup var settle: GroupSettle

    func run() async throws { try await settle.run(ack: false) }
}
