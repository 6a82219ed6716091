import ArgumentParser

/// `immutactl group …`: list, describe, reset and delete consumer groups.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "List, describe, reset and delete consumer groups.",
        discussion: """
            Members join a group with `immutactl consume TOPIC --group NAME`; see docs/GROUPS.md.

            Examples:
              immutactl group list
              immutactl group describe orders billing
            """,
        subcommands: [GroupList.self, GroupDescribe.self, GroupReset.self, GroupDelete.self])
}
