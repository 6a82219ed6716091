import ImmutaStorage
import ArgumentParser
import Immuta

/// `immutactl topic describe NAME [--json]`.
struct TopicDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show a topic's settings, offsets and size.",
        discussion: """
            Examples:
              immutactl topic describe orders
              immutactl topic describe orders --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var name: String

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        try SafeNameCheck.validate(name)
    }

    func run() async throws {
        let topic = try await ImmutaClient.with(connection) { try await $0.describeTopic(name) }
        if json {
            print(topic.json.rendered)
            return
        }
        let rows: [[String]] = [
            ["name:", topic.name],
            ["durability:", topic.durability],
            ["segment bytes:", "\(topic.segmentBytes) (\(Quantities.describe(bytes: topic.segmentBytes)))"],
            ["max record bytes:", "\(topic.maxRecordBytes) (\(Quantities.describe(bytes: topic.maxRecordBytes)))"],
            ["retention bytes:", topic.retentionBytes.map { "\($0) (\(Quantities.describe(bytes: $0)))" } ?? "none"],
            [
                "retention age:",
                topic.retentionMilliseconds.map { "\($0) ms (\(Quantities.describe(milliseconds: $0)))" } ?? "none",
            ],
            ["earliest offset:", String(topic.earliestOffset)],
            ["next offset:", String(topic.nextOffset)],
            ["records:", String(topic.records)],
            ["bytes:", "\(topic.bytes) (\(Quantities.describe(bytes: topic.bytes)))"],
            ["segments:", String(topic.segments)],
            ["created at:", RFC3339.format(nanoseconds: topic.createdAt)],
        ]
        let width = rows.map { $0[0].count }.max() ?? 0
        for row in rows {
            print(row[0] + String(repeating: " ", count: width - row[0].count + 1) + row[1])
        }
    }
}
