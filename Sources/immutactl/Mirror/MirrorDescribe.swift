import ArgumentParser
import Foundation
import Immuta

/// `immutactl mirror describe NAME [--json]`.
struct MirrorDescribe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show one mirror (every topic it mirrors) or source in full, with its last error.",
        discussion: """
            Examples:
              immutactl mirror describe central
              immutactl mirror describe inbound --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The mirror's or source's name (`name:` in immuta.conf).")
    var name: String

    @Flag(help: "Print a JSON array with an object per topic.")
    var json = false

    func validate() throws { try SafeNameCheck.validate(name, kind: "mirror") }

    func run() async throws {
        let links = try await ImmutaClient.with(connection) { try await $0.listMirrors() }.filter { $0.name == name }
        guard !links.isEmpty else {
            throw CLIError("no mirror or source named \(name) runs (or none of its topics is visible to you); see `immutactl mirror list`")
        }
        if json {
            print(JSON.array(links.map(\.json)).rendered)
            return
        }
        for link in links {
            let lines: [(String, String)] = [
                ("name", "\(link.name) (\(link.kind.rawValue))"), ("topic", link.topic), ("stream", link.stream),
                (link.kind == .mirror ? "subject" : "consumer", link.target), ("state", link.state),
                (link.kind == .mirror ? "resume point" : "applied sequence", String(link.position)), ("topic end", String(link.topicEnd)),
                ("lag", "\(link.lagRecords) records, \(MirrorTable.duration(milliseconds: link.lagMilliseconds))"),
                ("rate", "\(Int(link.recordsPerSecond.rounded())) records/s"),
                (link.kind == .mirror ? "acknowledged" : "appended", "\(link.records) (\(link.duplicates) duplicates), \(link.rewinds) rewinds"),
                ("last error", link.lastError.isEmpty ? "-" : "\(link.lastError) at \(RFC3339.format(nanoseconds: link.lastErrorAt * 1_000_000))"),
            ]
            for (label, value) in lines { print((label + ":").padding(toLength: 18, withPad: " ", startingAt: 0) + value) }
            if link != links.last { print("") }
        }
    }
}
