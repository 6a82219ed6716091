import ArgumentParser
import Immuta

/// `immutactl acl check [--user U] --topic T --op OP [--group G]`.
struct AclCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Say whether a user may produce, consume or administer a topic, and which rule decides.",
        discussion: """
            Asks the running daemon, so the answer follows the rules it has loaded (after a reload too). \
            Without --user it checks your own access; checking another user needs admin on every topic. \
            Exit status: 0 when allowed, 1 when denied.

            Examples:
              immutactl acl check --topic orders --op consume
              immutactl acl check --user alice --topic payments --op produce
              immutactl acl check --topic orders --op consume --group billing --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The user, by name or uid (default: you).")
    var user: String?

    @Option(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    @Option(help: "produce, consume or admin.")
    var op: String

    @Option(help: "The consumer group, for consume in a group or admin of a group.")
    var group: String?

    @Flag(help: "Print the decision as JSON.")
    var json = false

    func validate() throws {
        guard ["produce", "consume", "admin"].contains(op) else {
            throw ValidationError("--op \(op) is not one of produce, consume, admin")
        }
        try SafeNameCheck.validate(topic)
        if let group { try SafeNameCheck.validate(group, kind: "group") }
    }

    func run() async throws {
        let decision = try await ImmutaClient.with(connection) {
            try await $0.checkAccess(user: user, operation: op, topic: topic, group: group)
        }
        if json {
            print(
                JSON.object([
                    ("allowed", .bool(decision.allowed)), ("subject", .string(decision.subject)),
                    ("explanation", .string(decision.explanation)),
                ]).rendered)
        } else {
            print("\(decision.allowed ? "allowed" : "denied"): \(decision.subject)")
            print("  \(decision.explanation)")
        }
        if !decision.allowed { throw ExitCode.failure }
    }
}
