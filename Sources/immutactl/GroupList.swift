import ArgumentParser
import Immuta

/// `immutactl group list [TOPIC] [--json]`.
struct GroupList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List consumer groups with their offsets, lag, in-flight records and members.",
        discussion: """
            Examples:
              immutactl group list
              immutactl group list orders --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Only the groups of this topic (default: every topic's).", completion: NameCompletion.topics)
    var topic: String?

    @Flag(help: "Print a JSON array of group objects (the fields of `group describe --json`).")
    var json = false

    func validate() throws {
        if let topic { try SafeNameCheck.validate(topic) }
    }

    func run() async throws {
        let groups = try await ImmutaClient.with(connection) { try await $0.listGroups(topic: topic) }
            .sorted { ($0.topic, $0.group) < ($1.topic, $1.group) }
        if json {
            print(JSON.array(groups.map(\.json)).rendered)
            return
        }
        guard !groups.isEmpty else {
            printError(topic.map { "no groups on topic \($0)" } ?? "no groups")
            return
        }
        let rows = groups.map {
            [
                $0.topic, $0.group, String($0.committedOffset), String($0.nextOffset), String($0.lag),
                String($0.inFlight), String($0.members.count),
            ]
        }
        print(
            table(
                ["TOPIC", "GROUP", "COMMITTED", "NEXT", "LAG", "IN-FLIGHT", "MEMBERS"], rows,
                rightAligned: [2, 3, 4, 5, 6]))
    }
}
