import ArgumentParser
import ImmutaProtocol

/// immutactl: the admin and everyday CLI for immutad.
@main
struct Immutactl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immutactl",
        abstract: "Administer and use an Immuta daemon: topics, produce, consume, consumer groups, benchmarks.",
        discussion: """
            Commands that talk to the daemon take --socket (default: $IMMUTA_SOCKET, else ./immuta.sock \
            when it exists, else /run/immuta/immuta.sock). verify, repair, import and export work on a data \
            directory that no daemon has open and take --data-dir instead. --socket and --json may also come \
            before the command's name.

            Examples:
              immutactl topic create orders
              seq 1 3 | immutactl produce orders
              immutactl consume orders --from earliest --follow
            """,
        version: "immutactl \(immutaVersion)",
        subcommands: [
            TopicCommand.self, Produce.self, Consume.self, GroupCommand.self, MirrorCommand.self, Status.self, Top.self, AclCommand.self, Bench.self,
            Verify.self, Repair.self, Import.self, Export.self,
        ])

    static func main() async {
        await ExitStatus.run(self)
    }
}
