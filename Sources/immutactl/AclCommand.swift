import ArgumentParser

/// `immutactl acl …`: questions about the daemon's access rules.
struct AclCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Ask the daemon what its access rules allow.",
        discussion: """
            The rules are the `access` section of immuta.conf; see docs/SECURITY.md.

            Examples:
              immutactl acl check --topic orders --op produce
            """,
        subcommands: [AclCheck.self])
}
