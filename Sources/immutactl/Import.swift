import ArgumentParser
import ImmutaStorage

/// `immutactl import FILE|- TOPIC`: append a seed-format file's records to a topic, through the
/// daemon, or offline with --data-dir.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append the records of an immuta (seed format) file to a topic.",
        discussion: """
            The file holds records back to back (an 8-byte little-endian size, then the payload), \
            optionally after the 16-byte header of later immuta versions; - reads standard input. The \
            whole file is checked before anything is appended, so a malformed file appends nothing, \
            names the byte position of its first bad record, and with --create leaves no topic behind. \
            Through the running daemon the records go in atomic chunks of about 1 MiB, in file order, \
            acknowledged once on disk; other producers' records may land between two chunks. With \
            --data-dir it writes a data directory that no daemon has open instead. (The older order, \
            TOPIC then FILE, is still accepted when it is unambiguous.)

            Examples:
              immutactl import orders.immuta orders --create
              immutactl export orders - | immutactl import - orders-copy --create
              immutactl import old.log orders --layout plain --data-dir /var/lib/immuta
            """)

    enum Layout: String, ExpressibleByArgument, CaseIterable {
        case auto
        case plain
        case header

        var seedLayout: SeedLayout? { self == .plain ? .plain : self == .header ? .header : nil }
    }

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("The seed-format file, or - for standard input.", valueName: "file"), completion: .file())
    var first: String

    @Argument(help: ArgumentHelp("The topic to append to.", valueName: "topic"), completion: NameCompletion.topics)
    var second: String

    @Option(help: ArgumentHelp("Write this data directory offline (no daemon may have it open).", valueName: "dir"))
    var dataDir: String?

    @Option(help: "The file's layout: auto detects it, plain has no header, header has the 16-byte header.")
    var layout: Layout = .auto

    @Flag(help: "Create the topic, with the daemon's default settings, when it does not exist.")
    var create = false

    /// FILE and TOPIC, taking the older `import TOPIC FILE` order when only that reading names an
    /// existing file.
    var fileAndTopic: (file: String, topic: String) {
        let firstIsFile = first == "-" || FileIO.exists(first)
        if !firstIsFile && FileIO.exists(second) && SafeNameCheck.isValid(first) { return (second, first) }
        return (first, second)
    }

    func validate() throws {
        try SafeNameCheck.validate(fileAndTopic.topic)
    }

    func run() async throws {
        let (file, topic) = fileAndTopic
        if (file, topic) != (first, second) {
            printError("immutactl: reading this as import \(file) \(topic); the file comes first (import FILE TOPIC)")
        }
        guard let dataDir else {
            try await OnlineImport(file: file, topic: topic, layout: layout.seedLayout, create: create, connection: connection).run()
            return
        }
        guard file != "-" else { throw ValidationError("an offline import (--data-dir) reads a file, not standard input") }
        guard FileIO.exists(file) else { throw CLIError("cannot import \(file): no such file") }
        let directory = try OfflineDataDirectory(
            dataDir, exclusive: true, alternative: "import through it: leave out --data-dir")
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
                file, into: target.log, layout: layout.seedLayout)
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
