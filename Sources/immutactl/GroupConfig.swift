import ArgumentParser
import Immuta
import ImmutaStorage

/// `immutactl group config TOPIC GROUP [--set KEY=VALUE]… [--json]`: show or change a running
/// group's settings.
struct GroupConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show a consumer group's settings, or change them while it runs (--set, admin).",
        discussion: """
            Keys: max_in_flight (1 to 1000000), ack_timeout (a duration, 100ms to 24h), max_deliveries \
            (1 to 1000), dead_letter_topic (a topic name; producing to it needs produce, creating it admin). \
            A change applies to what comes next (the next delivery, the next failure) and is kept in \
            group.json.

            Examples:
              immutactl group config orders billing
              immutactl group config orders billing --set ack_timeout=2m --set max_deliveries=10
            """)

    static let keys = ["max_in_flight", "ack_timeout", "max_deliveries", "dead_letter_topic"]

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Argument(help: "The group.", completion: NameCompletion.groups)
    var group: String

    @Option(name: .customLong("set"), help: ArgumentHelp("A setting to change, as KEY=VALUE (repeatable).", valueName: "key=value"))
    var settings: [String] = []

    @Flag(help: "Print the settings as JSON.")
    var json = false

    func validate() throws {
        try SafeNameCheck.validate(topic)
        try SafeNameCheck.validate(group, kind: "group")
        _ = try changes()
    }

    /// The `--set` values, each checked before anything is sent.
    func changes() throws -> GroupOptions {
        var changes = GroupOptions()
        for setting in settings {
            let (key, value) = try SettingAssignment(setting, keys: Self.keys).pair
            switch key {
            case "max_in_flight":
                guard let n = Int(value), (1...1_000_000).contains(n) else {
                    throw ValidationError("--set max_in_flight=\(value): must be a whole number from 1 to 1000000")
                }
                changes.maxInFlight = n
            case "ack_timeout":
                guard let ms = Quantities.milliseconds(value) else {
                    throw ValidationError("--set ack_timeout=\(Quantities.durationProblem(value))")
                }
                guard (100...86_400_000).contains(ms) else {
                    throw ValidationError("--set ack_timeout=\(value): must be from 100ms to 24h")
                }
                changes.ackTimeout = .milliseconds(ms)
            case "max_deliveries":
                guard let n = Int(value), (1...1000).contains(n) else {
                    throw ValidationError("--set max_deliveries=\(value): must be a whole number from 1 to 1000")
                }
                changes.maxDeliveries = n
            case "dead_letter_topic":
                try SafeNameCheck.validate(value)
                changes.deadLetterTopic = value
            default:
                throw ValidationError("--set \(key): not a group setting; use \(Self.keys.joined(separator: ", "))")
            }
        }
        return changes
    }

    func run() async throws {
        let changes = try changes()
        let info = try await ImmutaClient.with(connection) { client in
            settings.isEmpty
                ? try await client.describeGroup(topic, group: group) : try await client.configureGroup(topic, group: group, changes)
        }
        if json {
            print(
                JSON.object([
                    ("max_in_flight", .int(Int64(info.maxInFlight))), ("ack_timeout_ms", .int(Int64(info.ackTimeoutMilliseconds))),
                    ("max_deliveries", .int(Int64(info.maxDeliveries))), ("dead_letter_topic", .string(info.deadLetterTopic)),
                ]).rendered)
            return
        }
        if !settings.isEmpty { printError("configured group \(group) of \(topic)") }
        let rows = [
            ["max_in_flight", "\(info.maxInFlight)"],
            ["ack_timeout", Quantities.describe(milliseconds: Int64(info.ackTimeoutMilliseconds))],
            ["max_deliveries", "\(info.maxDeliveries)"],
            ["dead_letter_topic", info.deadLetterTopic],
        ]
        print(table(["SETTING", "VALUE"], rows, rightAligned: []))
    }
}
