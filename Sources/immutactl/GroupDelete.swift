import ArgumentParser
import Immuta

/// `immutactl group delete TOPIC GROUP`.
struct GroupDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a consumer group that has no members, with its committed offset.",
        discussion: """
            Examples:
              immutactl group delete orders billing
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Argument(help: "The group.", completion: NameCompletion.groups)
    var group: String

    func validate() throws {
        try SafeNameCheck.validate(topic)
        try SafeNameCheck.validate(group, kind: "group")
    }

    func run() async throws {
        try await ImmutaClient.with(connection) { try await $0.deleteGroup(topic, group: group) }
        print("deleted group \(group) of topic \(topic)")
    }
}
