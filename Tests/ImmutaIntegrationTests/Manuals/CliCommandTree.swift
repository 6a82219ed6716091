import Foundation
import ImmutaDaemonTesting
import Testing

/// A tool's commands and options as its parser describes them (`TOOL --experimental-dump-help`,
/// the description swift-argument-parser's generate-manual reads too), so that tests cover every
/// command there is, including ones added later, rather than a list that goes out of date.
struct CliCommandTree: Sendable {
    /// A command's words after the tool's name (empty for the tool itself), e.g. ["topic", "create"].
    var paths: [[String]]
    /// Every long option name of every command, without the dashes, e.g. "retention-age".
    var longOptions: Set<String>
    /// The exact text the tool printed.
    var dump: [UInt8]

    /// The names of the commands directly under the tool.
    var topLevel: [String] { paths.filter { $0.count == 1 }.map { $0[0] } }

    /// Runs `tool --experimental-dump-help` and reads its command tree. The `help` pseudo-command
    /// that ArgumentParser adds to every tool is left out: it has no help page of its own.
    static func of(_ tool: String) async throws -> CliCommandTree {
        let result = try await CliProcess(["--experimental-dump-help"], socket: nil, executable: TestBinaries.path(tool)).finish()
        try #require(result.status == 0, "\(tool) --experimental-dump-help exited \(result.status): \(result.stderr)")
        let root = try #require(try result.json() as? [String: Any], "not a JSON object")
        let command = try #require(root["command"] as? [String: Any], "no command in \(tool)'s dump")
        var tree = CliCommandTree(paths: [], longOptions: [], dump: result.stdout)
        tree.walk(command, path: [])
        return tree
    }

    private mutating func walk(_ command: [String: Any], path: [String]) {
        paths.append(path)
        for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool ?? true {
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                if let long = name["name"] as? String { longOptions.insert(long) }
            }
        }
        for subcommand in command["subcommands"] as? [[String: Any]] ?? [] {
            guard let name = subcommand["commandName"] as? String, name != "help" else { continue }
            walk(subcommand, path: path + [name])
        }
    }
}
