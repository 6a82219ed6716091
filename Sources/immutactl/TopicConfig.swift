import ArgumentParser
import Immuta
import ImmutaStorage

/// `immutactl topic config NAME [--set KEY=VALUE]… [--json]`: show or change a running topic's settings.
struct TopicConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show a topic's settings, or change them while it runs (--set, admin).",
        discussion: """
            Keys: durability (none, fsync, interval:MS), segment_bytes, max_record_bytes, retention_bytes \
            (a size or none), retention_age (a duration or none). A change applies to what comes next (the \
            next append, the next segment, the next retention pass) and is kept in topic.json.

            Examples:
              immutactl topic config orders
              immutactl topic config orders --set retention_age=30d
              immutactl topic config logs --set durability=none --set retention_bytes=1GB
            """)

    static let keys = ["durability", "segment_bytes", "max_record_bytes", "retention_bytes", "retention_age"]

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var name: String

    @Option(name: .customLong("set"), help: ArgumentHelp("A setting to change, as KEY=VALUE (repeatable).", valueName: "key=value"))
    var settings: [String] = []

    @Flag(help: "Print the settings as JSON.")
    var json = false

    func validate() throws {
        try SafeNameCheck.validate(name)
        _ = try changes()
    }

    /// The `--set` values, each checked before anything is sent.
    func changes() throws -> TopicChanges {
        var changes = TopicChanges()
        for setting in settings {
            let (key, value) = try SettingAssignment(setting, keys: Self.keys).pair
            func size() throws -> UInt64 {
                guard let bytes = Quantities.bytes(value), bytes > 0 else {
                    throw ValidationError("--set \(key)=\(value): not a positive size (4096, 64MiB, 1GB)")
                }
                return bytes
            }
            switch key {
            case "durability":
                guard (try? Durability(parsing: value)) != nil else {
                    throw ValidationError("--set durability=\(value): use none, fsync or interval:MS")
                }
                changes.durability = value
            case "segment_bytes": changes.segmentBytes = try size()
            case "max_record_bytes": changes.maxRecordBytes = try size()
            case "retention_bytes": changes.retentionBytes = value == "none" ? .some(nil) : .some(try size())
            case "retention_age":
                if value == "none" {
                    changes.retentionAge = .some(nil)
                } else {
                    guard let ms = Quantities.milliseconds(value), ms > 0 else {
                        throw ValidationError("--set retention_age=\(Quantities.durationProblem(value))")
                    }
                    changes.retentionAge = .some(.milliseconds(ms))
                }
            default:
                throw ValidationError("--set \(key): not a topic setting; use \(Self.keys.joined(separator: ", "))")
            }
        }
        return changes
    }

    func run() async throws {
        let changes = try changes()
        let topic = try await ImmutaClient.with(connection) { client in
            settings.isEmpty ? try await client.describeTopic(name) : try await client.configureTopic(name, changes)
        }
        let values: [(String, String)] = [
            ("durability", topic.durability),
            ("segment_bytes", Quantities.describe(bytes: topic.segmentBytes)),
            ("max_record_bytes", Quantities.describe(bytes: topic.maxRecordBytes)),
            ("retention_bytes", topic.retentionBytes.map { Quantities.describe(bytes: $0) } ?? "none"),
            ("retention_age", topic.retentionMilliseconds.map { Quantities.describe(milliseconds: $0) } ?? "none"),
        ]
        if json {
            print(
                JSON.object([
                    ("durability", .string(topic.durability)), ("segment_bytes", .uint(topic.segmentBytes)),
                    ("max_record_bytes", .uint(topic.maxRecordBytes)),
                    ("retention_bytes", topic.retentionBytes.map(JSON.uint) ?? .null),
                    ("retention_ms", topic.retentionMilliseconds.map(JSON.int) ?? .null),
                ]).rendered)
            return
        }
        if !settings.isEmpty { printError("configured topic \(name)") }
        print(table(["SETTING", "VALUE"], values.map { [$0.0, $0.1] }, rightAligned: []))
    }
}
