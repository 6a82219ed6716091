import ArgumentParser

/// `immutactl group …`: inspect, configure, reset and delete consumer groups, and settle their
/// pending records.
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "List, describe, configure, reset and delete consumer groups; list and settle pending records.",
        discussion: """
            Members join a group with `immutactl consume TOPIC --group NAME`; see docs/GROUPS.md.

            Examples:
              immutactl group list
              immutactl group describe orders billing
              immutactl group pending orders billing
            """,
        subcommands: [
            GroupList.self, GroupDescribe.self, GroupConfig.self, GroupPending.self, GroupAck.self, GroupNack.self,
            GroupReset.self, GroupDelete.self,
        ])
}
