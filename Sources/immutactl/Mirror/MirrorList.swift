import ArgumentParser
import Immuta

/// `immutactl mirror list [--json]`.
struct MirrorList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every mirrored topic and every source with its state, position and lag.",
        discussion: """
            A mirror has a line per topic: POSITION is its resume point (the lowest offset the stream has \
            not acknowledged) and LAG the records behind it and the age of the oldest. A source's \
            POSITION is the last stream sequence appended to its topic, and LAG the messages its \
            consumer has not delivered yet.

            Examples:
              immutactl mirror list
              immutactl mirror list --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print a JSON array of objects (the fields of `mirror describe --json`).")
    var json = false

    func run() async throws {
        let links = try await ImmutaClient.with(connection) { try await $0.listMirrors() }
        if json {
            print(JSON.array(links.map(\.json)).rendered)
            return
        }
        guard !links.isEmpty else {
            printError("no mirrors or sources (configure them in immuta.conf: docs/MIRRORING.md)")
            return
        }
        print(MirrorTable.render(links))
    }
}

/// The table `mirror list` and `mirror describe` print.
enum MirrorTable {
    static func render(_ links: [MirrorDescription]) -> String {
        let rows = links.map { link in
            [
                link.name, link.kind.rawValue, link.topic, link.stream, link.state, String(link.position), String(link.lagRecords),
                Self.duration(milliseconds: link.lagMilliseconds), String(Int(link.recordsPerSecond.rounded())),
                link.lastError.isEmpty ? "-" : String(link.lastError.prefix(60)),
            ]
        }
        return table(
            ["NAME", "KIND", "TOPIC", "STREAM", "STATE", "POSITION", "LAG", "LAG-AGE", "RATE/S", "LAST ERROR"], rows,
            rightAligned: [5, 6, 7, 8])
    }

    static func duration(milliseconds: Int64) -> String {
        milliseconds < 1000 ? "\(milliseconds)ms" : milliseconds < 120_000 ? "\(milliseconds / 1000)s" : "\(milliseconds / 60_000)m"
    }
}

extension MirrorDescription {
    var json: JSON {
        .object([
            ("name", .string(name)), ("kind", .string(kind.rawValue)), ("topic", .string(topic)), ("stream", .string(stream)),
            (kind == .mirror ? "subject" : "consumer", .string(target)), ("state", .string(state)), ("position", .uint(position)),
            ("topic_end", .uint(topicEnd)), ("lag_records", .uint(lagRecords)), ("lag_ms", .int(lagMilliseconds)),
            ("records_per_sec", .double(recordsPerSecond)), ("records", .uint(records)), ("duplicates", .uint(duplicates)),
            ("rewinds", .uint(rewinds)), ("last_error", .string(lastError)), ("last_error_at_ms", .int(lastErrorAt)),
        ])
    }
}
