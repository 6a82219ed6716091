import ArgumentParser
import Immuta

/// `immutactl group reset TOPIC GROUP --to-…|--shift-by N [--execute] [--force]`, like
/// `kafka-consumer-groups --reset-offsets`: a dry run unless --execute.
struct GroupReset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Move a consumer group's committed offset (a dry run unless --execute).",
        discussion: """
            Give exactly one target. Without --execute it prints the current and the new offset and \
            changes nothing. Refused while the group has members unless --force; a forced reset \
            forgets what the members hold, and their later acks are refused.

            Examples:
              immutactl group reset orders billing --to-earliest
              immutactl group reset orders billing --shift-by -100 --execute
              immutactl group reset orders billing --to-datetime 2026-11-25T12:00:00Z
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Argument(help: "The group.", completion: NameCompletion.groups)
    var group: String

    @Flag(help: "Move to the earliest retained record (everything is consumed again).")
    var toEarliest = false

    @Flag(help: "Move to the end of the topic (everything so far counts as consumed).")
    var toLatest = false

    @Option(help: ArgumentHelp("Move to this offset (within the retained records, or the end).", valueName: "offset"))
    var toOffset: UInt64?

    @Option(
        help: ArgumentHelp(
            "Move to the first record appended at or after this RFC 3339 time (2026-11-25T12:00:00Z).",
            valueName: "time"))
    var toDatetime: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Move by this many records from the committed offset, back when negative (clamped to the topic).",
            valueName: "n"))
    var shiftBy: Int64?

    @Flag(help: "Apply the reset (without it, only show what it would do).")
    var execute = false

    @Flag(help: "Reset even while the group has members.")
    var force = false

    func validate() throws {
        try SafeNameCheck.validate(topic)
        try SafeNameCheck.validate(group, kind: "group")
        let given = [
            toEarliest ? "--to-earliest" : nil, toLatest ? "--to-latest" : nil, toOffset.map { _ in "--to-offset" },
            toDatetime.map { _ in "--to-datetime" }, shiftBy.map { _ in "--shift-by" },
        ].compactMap { $0 }
        guard given.count == 1 else {
            throw ValidationError(
                (given.isEmpty ? "no target given" : "\(given.joined(separator: " and ")) exclude each other")
                    + "; give exactly one of --to-earliest, --to-latest, --to-offset N, --to-datetime TIME, "
                    + "--shift-by N")
        }
        _ = try target()
    }

    func run() async throws {
        let plan = try await ImmutaClient.with(connection) {
            try await $0.resetGroup(topic, group: group, to: try target(), execute: execute, force: force)
        }
        print(
            table(
                ["TOPIC", "GROUP", "CURRENT-OFFSET", "NEW-OFFSET"],
                [[topic, group, String(plan.currentOffset), String(plan.targetOffset)]], rightAligned: [2, 3]))
        if plan.executed {
            print(
                "reset group \(group) of topic \(topic): committed offset \(plan.currentOffset) -> \(plan.targetOffset)"
            )
        } else {
            print("dry run: nothing changed; add --execute to apply")
        }
    }

    private func target() throws -> GroupResetTarget {
        if toEarliest { return .earliest }
        if toLatest { return .latest }
        if let toOffset { return .offset(toOffset) }
        if let shiftBy { return .shift(by: shiftBy) }
        guard let toDatetime else { throw ValidationError("no target given") }
        guard let time = RFC3339.parse(toDatetime) else {
            throw ValidationError(
                "--to-datetime \(toDatetime) is not an RFC 3339 time with its zone "
                    + "(2026-11-25T12:00:00Z, 2026-11-25T13:00:00.250+01:00)")
        }
        return .timestamp(nanosecondsSinceEpoch: time)
    }
}
