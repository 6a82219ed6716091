import ArgumentParser

/// `immutactl mirror …`: the daemon's mirrors into NATS JetStream and sources from it.
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror",
        abstract: "List and describe mirrors (topics into NATS JetStream) and sources (streams into topics); pause and resume them.",
        discussion: """
            Mirrors and sources are configured in immuta.conf (`mirrors:` and `sources:`, docs/MIRRORING.md); \
            a reload (systemctl reload immuta) applies changes.

            Examples:
              immutactl mirror list
              immutactl mirror describe central
              immutactl mirror pause central
            """,
        subcommands: [MirrorList.self, MirrorDescribe.self, MirrorPause.self, MirrorResume.self])
}
