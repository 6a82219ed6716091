import ArgumentParser
import Immuta
import ImmutaStorage

/// `immutactl topic list [--json]`.
struct TopicList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the topics with their record counts, next offsets, sizes and durability.",
        discussion: """
            Examples:
              immutactl topic list
              immutactl topic list --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print a JSON array of topic objects (the fields of `topic describe --json`).")
    var json = false

    func run() async throws {
        let topics = try await ImmutaClient.with(connection) { try await $0.listTopics() }.sorted { $0.name < $1.name }
        if json {
            print(JSON.array(topics.map(\.json)).rendered)
            return
        }
        guard !topics.isEmpty else {
            printError("no topics")
            return
        }
        // Sizes for people (`--json` keeps the exact byte counts).
        let rows = topics.map {
            [$0.name, String($0.records), String($0.nextOffset), Quantities.describe(bytes: $0.bytes), $0.durability]
        }
        print(table(["NAME", "RECORDS", "NEXT OFFSET", "SIZE", "DURABILITY"], rows, rightAligned: [1, 2, 3]))
    }
}
