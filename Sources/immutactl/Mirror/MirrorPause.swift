import ArgumentParser
import Immuta

/// `immutactl mirror pause NAME`.
struct MirrorPause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Stop a mirror (every topic of it) or a source from publishing or appending until resumed.",
        discussion: """
            Records keep arriving in the topic; the resume point stays where it is, and `mirror resume` \
            goes on from it. A pause lasts until resume, a reload keeps it, a restart of immutad ends it. \
            Needs admin on every topic.

            Examples:
              immutactl mirror pause central
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The mirror's or source's name.")
    var name: String

    func validate() throws { try SafeNameCheck.validate(name, kind: "mirror") }

    func run() async throws {
        try await ImmutaClient.with(connection) { try await $0.setMirrorPaused(name, true) }
        print("paused \(name)")
    }
}

/// `immutactl mirror resume NAME`.
struct MirrorResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused mirror or source from its resume point.",
        discussion: """
            Needs admin on every topic.

            Examples:
              immutactl mirror resume central
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The mirror's or source's name.")
    var name: String

    func validate() throws { try SafeNameCheck.validate(name, kind: "mirror") }

    func run() async throws {
        try await ImmutaClient.with(connection) { try await $0.setMirrorPaused(name, false) }
        print("resumed \(name)")
    }
}
