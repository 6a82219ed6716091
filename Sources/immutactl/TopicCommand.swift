import ArgumentParser

/// `immutactl topic …`: create, list, describe and delete topics.
struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Create, list, describe and delete topics.",
        discussion: """
            Examples:
              immutactl topic create orders
              immutactl topic list
            """,
        subcommands: [TopicCreate.self, TopicList.self, TopicDescribe.self, TopicConfig.self, TopicDelete.self])
}
