import Foundation

/// Reads an `strace -f -y` log and finds changes to directory entries under a directory that no
/// later fsync of the containing directory makes durable.
struct DirectorySyncTrace {
    /// One system call that changed an entry (`mkdir`, `rename`, `unlink`, `rmdir`, a creating
    /// `open`), or an fsync of a directory.
    enum Event: Equatable {
        case changed(entry: String, call: String)
        case removedDirectory(String)
        case synced(String)
    }

    var events: [Event] = []

    /// Parses the log, joining calls strace split over `<unfinished ...>` and `resumed>` lines.
    init(log: String) {
        var pending: [Substring: String] = [:]
        for raw in log.split(separator: "\n") {
            guard let space = raw.firstIndex(of: " ") else { continue }
            let pid = raw[..<space]
            var line = raw[space...].trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("<unfinished ...>") {
                pending[pid] = String(line.dropLast("<unfinished ...>".count))
                continue
            }
            if line.hasPrefix("<..."), let resumed = line.range(of: "resumed>") {
                line = (pending.removeValue(forKey: pid) ?? "") + line[resumed.upperBound...]
            }
            events += Self.events(in: line)
        }
    }

    static func events(in line: String) -> [Event] {
        guard let open = line.firstIndex(of: "(") else { return [] }
        let call = String(line[..<open])
        let paths = quoted(line)
        if call == "fsync" || call == "fdatasync" {
            // `-y` prints the descriptor's path: fsync(5</data/groups/t>).
            guard let start = line.range(of: "<"), let end = line.range(of: ">)") else { return [] }
            return [.synced(String(line[start.upperBound..<end.lowerBound]))]
        }
        // Only calls that succeeded changed anything.
        guard let result = line.range(of: ") = ", options: .backwards), !line[result.upperBound...].hasPrefix("-1") else { return [] }
        switch call {
        case "mkdir", "mkdirat", "unlink", "unlinkat":
            return paths.last.map { [.changed(entry: $0, call: call)] } ?? []
        case "rmdir":
            return paths.last.map { [.removedDirectory($0), .changed(entry: $0, call: call)] } ?? []
        case "rename", "renameat", "renameat2":
            return paths.map { .changed(entry: $0, call: call) }
        case "open", "openat":
            guard line.contains("O_CREAT"), let path = paths.first else { return [] }
            return [.changed(entry: path, call: call + " O_CREAT")]
        default:
            return []
        }
    }

    /// The double-quoted strings of a line.
    static func quoted(_ line: String) -> [String] {
        line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// Changes under `root` (including `root` itself) with no later fsync of their directory.
    /// A change inside a directory that is later removed needs none: the removal is what must
    /// be made durable, in its own parent.
    func unsyncedChanges(under root: String) -> [String] {
        var missing: [String] = []
        for (index, event) in events.enumerated() {
            guard case .changed(let entry, let call) = event, entry == root || entry.hasPrefix(root + "/") else { continue }
            let directory = (entry as NSString).deletingLastPathComponent
            let covered = events[(index + 1)...].contains { $0 == .synced(directory) || $0 == .removedDirectory(directory) }
            if !covered { missing.append("\(call) \(entry): no later fsync of \(directory)") }
        }
        return missing
    }
}
