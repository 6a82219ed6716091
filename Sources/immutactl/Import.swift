import ArgumentParser
import ImmutaStorage

/// `immutactl import TOPIC FILE --data-dir DIR`: append a seed-format file's records to a topic.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append the records of an immuta (seed format) file to a topic, offline.",
        discussion: """
            The file holds records back to back (an 8-byte little-endian size, then the payload), \
            optionally after the 16-byte header of later immuta versions. Runs on a data directory \
            that no daemon has open; the records are on disk when it exits.

            Examples:
              immutactl import orders orders.immuta --data-dir ./data --create
              immutactl import orders old.log --data-dir ./data --layout plain
            """)

    enum Layout: String, ExpressibleByArgument, CaseIterable {
        case auto
        case plain
        case header
    }

    @Argument(help: "The topic to append to.")
    var topic: String

    @Argument(help: "The seed-format file.")
    var file: String

    @Option(help: ArgumentHelp("The data directory (the one immutad's --data-dir names).", valueName: "dir"))
    var dataDir: String

    @Option(help: "The file's layout: auto detects it, plain has no header, header has the 16-byte header.")
    var layout: Layout = .auto

    @Flag(help: "Create the topic, with the built-in default settings, when it does not exist.")
    var create = false

    func validate() throws {
        try SafeNameCheck.validate(topic)
    }

    func run() async throws {
        guard FileIO.exists(file) else { throw CLIError("cannot import \(file): no such file") }
        let directory = try OfflineDataDirectory(
            dataDir, exclusive: true,
            alternative: "write through it with immutactl produce \(topic) instead")
        let (store, _) = try TopicStore.open(dataDirectory: directory.path)
        defer { try? store.close() }
        let target: Topic
        var created = false
        if let existing = store.existingTopic(topic) {
            target = existing
        } else if create {
            target = try store.create(topic)
            created = true
        } else {
            throw CLIError("topic \(topic) does not exist in \(directory.path); add --create to create it")
        }
        let result: SeedFormat.ImportResult
        do {
            result = try SeedFormat.importFile(
                file, into: target.log, layout: layout == .plain ? .plain : layout == .header ? .header : nil)
        } catch {
            // A refused file leaves the data directory as it was: no empty topic behind.
            if created { try? store.delete(topic) }
            throw error
        }
        try store.close()
        let offsets =
            result.records == 0
            ? "no records"
            : result.records == 1
                ? "offset \(result.firstOffset)"
                : "offsets \(result.firstOffset)..\(result.firstOffset + result.records - 1)"
        print(
            "imported \(plural(result.records, "record")) (\(result.layout.rawValue) layout) from \(file) "
                + "into \(topic): \(offsets)"
        )
    }
}
