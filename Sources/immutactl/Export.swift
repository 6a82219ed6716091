import ArgumentParser
import ImmutaStorage

/// `immutactl export TOPIC [FILE|-]`: write a topic's records to a seed-format file, through the
/// daemon, or offline with --data-dir.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a topic's records to an immuta (seed format) file.",
        discussion: """
            Through the running daemon, the export is a consistent snapshot: the records from --from up \
            to the topic's end when it starts (or --to), while producers keep writing. A file is written \
            under a temporary name and renamed into place once complete and on disk, replacing any file \
            of that name. With --data-dir it reads a data directory that no daemon has open instead. \
            Every record's checksum is checked on the way.

            Examples:
              immutactl export orders orders.immuta
              immutactl export orders - --from 1000 | gzip > orders.gz
              immutactl export orders orders.immuta --data-dir /var/lib/immuta
            """)

    @OptionGroup var connection: ConnectionOptions

    enum Layout: String, ExpressibleByArgument, CaseIterable {
        case plain
        case header
    }

    @Argument(help: "The topic to export.", completion: NameCompletion.topics)
    var topic: String

    @Argument(
        help: "The file to write; - (the default) or a pipe such as /dev/stdout streams the records.", completion: .file())
    var file: String = "-"

    @Option(help: ArgumentHelp("Read this data directory offline (no daemon may have it open).", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("The first offset to export (default: the earliest retained).", valueName: "offset"))
    var from: UInt64?

    @Option(
        help: ArgumentHelp("Export up to this offset, exclusive (default: the end of the topic).", valueName: "offset"))
    var to: UInt64?

    @Option(
        help: "plain: records back to back; header: with the 16-byte header (record count, last record's position).")
    var layout: Layout = .plain

    func validate() throws {
        try SafeNameCheck.validate(topic)
        if let from, let to, from > to {
            throw ValidationError("--from \(from) is after --to \(to); --to is exclusive")
        }
    }

    func run() async throws {
        guard let dataDir else {
            let summary = try await OnlineExport(
                topic: topic, file: file, from: from, to: to, layout: layout == .header ? .header : .plain,
                connection: connection
            ).run()
            // The records themselves may be on standard output.
            if file == "-" || file.hasPrefix("/dev/") { printError(summary) } else { print(summary) }
            return
        }
        let directory = try OfflineDataDirectory(
            dataDir, exclusive: true, alternative: "export through it: leave out --data-dir")
        let (store, _) = try TopicStore.open(dataDirectory: directory.path)
        defer { try? store.close() }
        guard let source = store.existingTopic(topic) else {
            throw CLIError("topic \(topic) does not exist in \(directory.path)")
        }
        let bounds = source.log.bounds
        let first = from ?? bounds.earliestOffset
        let end = to ?? bounds.nextOffset
        guard first >= bounds.earliestOffset, end <= bounds.nextOffset, first <= end else {
            throw CLIError(
                "offsets \(first)..<\(end) are outside topic \(topic), "
                    + "which holds \(bounds.earliestOffset)..<\(bounds.nextOffset)"
            )
        }
        let written = try SeedFormat.export(
            source.log, offsets: first..<end, to: file, layout: layout == .header ? .header : .plain)
        let offsets = written == 0 ? "no records" : "offsets \(first)..\(end - 1)"
        let summary = "exported \(plural(written, "record")) of \(topic) (\(offsets)) to \(file == "-" ? "standard output" : file) (\(layout.rawValue) layout)"
        // The records themselves may be on standard output.
        if file == "-" || file.hasPrefix("/dev/") { printError(summary) } else { print(summary) }
    }
}
