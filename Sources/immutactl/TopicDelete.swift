import ArgumentParser
import Immuta

/// `immutactl topic delete NAME`.
struct TopicDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a topic and all its records.",
        discussion: """
            Examples:
              immutactl topic delete scratch
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var name: String

    func validate() throws {
        try SafeNameCheck.validate(name)
    }

    func run() async throws {
        try await ImmutaClient.with(connection) { try await $0.deleteTopic(name) }
        print("deleted topic \(name)")
    }
}
