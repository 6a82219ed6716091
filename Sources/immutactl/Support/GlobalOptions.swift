import ArgumentParser

/// The options every command takes wherever they stand on the command line: `--socket PATH`
/// (also `--socket=PATH`) and `--json` may come before the command's name too
/// (`immutactl --socket S topic list`), as with `nats` or `kubectl`. ArgumentParser only knows an
/// option after the subcommand that declares it, so they are moved there before parsing.
enum GlobalOptions {
    static func rearranged(_ arguments: [String], commandNames: Set<String>) -> [String] {
        // A shell completion script calling back (`immutactl ---completion topic describe -- …`):
        // ArgumentParser wants it exactly as the script wrote it, and the words after `--` are the
        // command line being completed, not options of this run.
        guard arguments.first != "---completion" else { return arguments }
        var leading: [String] = []
        var rest: [String] = []
        var index = 0
        // Only options before the first command name move; after it they are already in place.
        while index < arguments.count, !commandNames.contains(arguments[index]) {
            let argument = arguments[index]
            if argument == "--socket", index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if argument.hasPrefix("--socket=") || argument == "--json" {
                leading.append(argument)
                index += 1
            } else {
                rest.append(argument)
                index += 1
            }
        }
        rest += arguments[index...]
        guard !leading.isEmpty else { return arguments }
        // Before a `--` that ends the options, else at the end.
        if let end = rest.firstIndex(of: "--") { return Array(rest[..<end]) + leading + Array(rest[end...]) }
        return rest + leading
    }
}

/// "Did you mean" for a mistyped command name (ArgumentParser suggests only for options).
enum CommandSuggestion {
    /// The error for the first argument that should name a subcommand and names none, or nil.
    static func unknownCommand(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        unknownCommand(in: arguments.filter { !$0.hasPrefix("-") }[...], under: root, path: root._commandName)
    }

    private static func unknownCommand(
        in words: ArraySlice<String>, under command: any ParsableCommand.Type, path: String
    ) -> String? {
        let subcommands = command.configuration.subcommands
        guard let word = words.first, !subcommands.isEmpty else { return nil }
        if let next = subcommands.first(where: { $0._commandName == word }) {
            return unknownCommand(in: words.dropFirst(), under: next, path: path + " " + word)
        }
        let names = subcommands.map { $0._commandName }
        let closest = names.map { (name: $0, steps: distance(word, $0)) }.min { $0.steps < $1.steps }
        if let closest, closest.steps <= max(2, closest.name.count / 3) {
            return "'\(word)' is not a command of \(path); did you mean '\(closest.name)'?"
        }
        return "'\(word)' is not a command of \(path); commands: \(names.joined(separator: ", "))"
    }

    /// Levenshtein distance (the edits that turn `a` into `b`). Written here: no package in the
    /// mirror offers string similarity, and ArgumentParser keeps its own private.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
