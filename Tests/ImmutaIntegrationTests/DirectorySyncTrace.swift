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
        case renamed(from: String, to: String)
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
                // Trimmed, so that the resumed part joins as if the call had been printed whole:
                // `fsync(5</d> <unfinished ...>` + `<... fsync resumed>) = 0` is `fsync(5</d>) = 0`.
                pending[pid] = String(line.dropLast("<unfinished ...>".count)).trimmingCharacters(in: .whitespaces)
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
            var events = paths.map { Event.changed(entry: $0, call: call) }
            if paths.count == 2 { events.append(.renamed(from: paths[0], to: paths[1])) }
            return events
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
        // `-y` names a descriptor by its path when strace prints the call, so an fsync of a staging
        // directory printed just after the directory was renamed into place carries the new name:
        // every name a directory had counts as that directory.
        var aliases: [String: Set<String>] = [:]
        for case .renamed(let from, let to) in events {
            let names = (aliases[from] ?? [from]).union(aliases[to] ?? [to])
            for name in names { aliases[name] = names }
        }
        var missing: [String] = []
        for (index, event) in events.enumerated() {
            guard case .changed(let entry, let call) = event, entry == root || entry.hasPrefix(root + "/") else { continue }
            let directory = (entry as NSString).deletingLastPathComponent
            let names = aliases[directory] ?? [directory]
            let covered = events[(index + 1)...].contains { later in
                later == .removedDirectory(directory) || names.contains { later == .synced($0) }
            }
            if !covered { missing.append("\(call) \(entry): no later fsync of \(directory)") }
        }
        return missing
    }
}
