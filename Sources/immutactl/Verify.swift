import ArgumentParser
import ImmutaStorage

/// `immutactl verify --data-dir DIR [TOPIC…]`: check every segment of stopped topics.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the framing, checksums and indexes of topics in a data directory no daemon has open.",
        discussion: """
            Reads the files only and changes nothing. Prints each problem with its file and byte position. \
            Exits with 1 when any problem is found.

            Examples:
              immutactl verify --data-dir /var/lib/immuta
              immutactl verify --data-dir ./data orders --json
            """)

    @Option(help: ArgumentHelp("The data directory (the one immutad's --data-dir names).", valueName: "dir"))
    var dataDir: String

    @Argument(help: "Topics to verify (default: all).")
    var topics: [String] = []

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        for topic in topics { try SafeNameCheck.validate(topic) }
    }

    func run() async throws {
        let directory = try OfflineDataDirectory(
            dataDir, exclusive: false, alternative: "verify a copy of the directory instead")
        let names = try topicNames(directory)
        let progress = Progress("verify", totalBytes: Progress.segmentDataBytes(names.map { directory.topicsDirectory + "/" + $0 }))
        var reports: [(String, VerifyReport)] = []
        for name in names {
            reports.append(
                (
                    name,
                    try LogVerifier.verify(directory: directory.topicsDirectory + "/" + name) {
                        progress.add(records: Int($0), bytes: Int($1))
                    }
                ))
        }
        progress.finish()
        // Each group's offset log is a record log too; the daemon cuts a damaged one back to its
        // last intact commit at start, and this says so beforehand.
        var groupReports: [(String, VerifyReport)] = []
        for name in names {
            let groupsDirectory = directory.path + "/groups/" + name
            guard FileIO.isDirectory(groupsDirectory) else { continue }
            for group in try FileIO.list(groupsDirectory).filter({ !$0.hasPrefix(".") }).sorted() {
                let offsets = groupsDirectory + "/" + group + "/offsets"
                guard FileIO.isDirectory(offsets) else { continue }
                groupReports.append(("\(name)/\(group)", try LogVerifier.verify(directory: offsets)))
            }
        }
        let problems = (reports + groupReports).reduce(0) { $0 + $1.1.problems.count }
        if json {
            let topics = reports.map { name, report in report.json(name: name) }
            let groups = groupReports.map { name, report in report.json(name: name) }
            print(
                JSON.object([
                    ("ok", .bool(problems == 0)), ("problems", .int(Int64(problems))), ("topics", .array(topics)),
                    ("groups", .array(groups)),
                ]).rendered)
        } else {
            for (name, report) in reports { print(report.text(name: name)) }
            for (name, report) in groupReports { print(report.text(name: "group " + name)) }
            if names.isEmpty { printError("no topics in \(directory.topicsDirectory)") }
        }
        if problems > 0 {
            if !json {
                printError(
                    "verify found \(plural(problems, "problem")) in "
                        + plural((reports + groupReports).filter { !$0.1.isClean }.count, "log")
                )
            }
            throw ExitCode.failure
        }
    }

    private func topicNames(_ directory: OfflineDataDirectory) throws -> [String] {
        let all =
            FileIO.exists(directory.topicsDirectory)
            ? try FileIO.list(directory.topicsDirectory).filter { !$0.hasPrefix(".") }.sorted() : []
        let missing = topics.filter { !all.contains($0) }
        guard missing.isEmpty else {
            throw CLIError(
                "no topic \(missing.joined(separator: ", ")) in \(directory.topicsDirectory)"
                    + (all.isEmpty ? " (it holds no topics)" : " (it holds \(all.joined(separator: ", ")))"))
        }
        return topics.isEmpty ? all : topics
    }
}
