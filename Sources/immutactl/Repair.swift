import ArgumentParser
import ImmutaStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `immutactl repair --data-dir DIR TOPIC [--yes]`: cut a damaged topic back to its last good
/// batch, offline, so that immutad opens it again.
struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a damaged topic back to its last good batch, in a data directory no daemon has open.",
        discussion: """
            Shows what verify finds in the topic and asks for confirmation (--yes skips the question; \
            without a terminal --yes is required). Then the topic's log is truncated at its first damaged \
            record: that record's batch and everything after it, later segments included, are removed. \
            Consumer groups that had committed past the new end are moved back to it. The topic is \
            verified again; the exit status is 0 when it is clean. Copy the directory first if you may \
            want the records after the damage.

            Examples:
              immutactl repair --data-dir /var/lib/immuta orders
              immutactl repair --data-dir ./data orders --yes
            """)

    @Option(help: ArgumentHelp("The data directory (the one immutad's --data-dir names).", valueName: "dir"))
    var dataDir: String

    @Argument(help: "The topic to repair.")
    var topic: String

    @Flag(help: "Repair without asking.")
    var yes = false

    func validate() throws {
        try SafeNameCheck.validate(topic)
    }

    func run() async throws {
        let directory = try OfflineDataDirectory(dataDir, exclusive: true, alternative: nil)
        let path = directory.topicsDirectory + "/" + topic
        guard FileIO.exists(path) else { throw CLIError("no topic \(topic) in \(directory.topicsDirectory)") }
        let progress = Progress("verify \(topic)", totalBytes: Progress.segmentDataBytes([path]))
        let before = try LogVerifier.verify(directory: path) { progress.add(records: Int($0), bytes: Int($1)) }
        progress.finish()
        print(before.text(name: topic))
        guard !before.isClean else {
            printError("nothing to repair: topic \(topic) verifies clean")
            return
        }
        try confirm()
        // The configuration only governs appends, which a repair does not make.
        let (log, report) = try RecordLog.open(
            directory: path, name: "topic \(topic)", create: false, policy: .truncateAtFirstDamage)
        let bounds = log.bounds
        try log.close()
        if report.isClean {
            print("recovery found nothing it could cut")
        } else {
            print("repaired topic \(topic):")
            for note in report.notes { print("  \(note)") }
        }
        for note in try rewindGroups(directory, to: bounds.nextOffset) { print("  \(note)") }
        let after = try LogVerifier.verify(directory: path)
        print(after.text(name: topic))
        guard after.isClean else {
            printError("topic \(topic) still has \(plural(after.problems.count, "problem")) after the repair")
            throw ExitCode.failure
        }
        printError(
            "topic \(topic) verifies clean: it holds offsets \(bounds.earliestOffset)..<\(bounds.nextOffset)")
    }

    /// Asks on the terminal, or refuses when there is none.
    private func confirm() throws {
        guard !yes else { return }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError(
                "repair removes records from topic \(topic) and standard input is not a terminal to ask; "
                    + "add --yes to repair without asking")
        }
        printError(
            "Cut topic \(topic) back to the last good batch before the first problem? The records from there on "
                + "are lost. [y/N] ", terminator: "")
        let answer = (readLine() ?? "").lowercased()
        guard answer == "y" || answer == "yes" else { throw CLIError("repair cancelled; nothing changed") }
    }

    /// Groups whose committed offset is past the topic's new end would skip the records produced
    /// next, up to that offset: move them back to the end.
    private func rewindGroups(_ directory: OfflineDataDirectory, to end: UInt64) throws -> [String] {
        let groupsDirectory = directory.path + "/groups/" + topic
        guard FileIO.exists(groupsDirectory) else { return [] }
        var notes: [String] = []
        for group in try FileIO.list(groupsDirectory).sorted() where !group.hasPrefix(".") {
            let offsets = try CommitLog(directory: groupsDirectory + "/" + group, name: "group \(topic)/\(group)")
            if let committed = offsets.committed, committed > end {
                try offsets.commit(end)
                notes.append("group \(group): committed offset \(committed) was past the new end; moved to \(end)")
            }
            try offsets.close()
        }
        return notes
    }
}
