import Foundation
import Testing

/// `immutactl CMD --help` for every command in the parser's tree (commands added later included):
/// it succeeds and ends its description with pasteable examples.
@Suite(.timeLimit(.minutes(5))) struct CliHelpTests {
    @Test func everyCommandsHelpHasExamples() async throws {
        let tree = try await CliCommandTree.of("immutactl")
        // The tree really was read: the commands of docs/CLI.md are all there.
        #expect(tree.paths.count >= 25, "only \(tree.paths)")
        for known in [["topic", "create"], ["consume"], ["group", "reset"], ["bench", "group"], ["export"]] {
            #expect(tree.paths.contains(known), "\(known) is missing from \(tree.paths)")
        }
        for path in tree.paths {
            let command = (["immutactl"] + path).joined(separator: " ")
            let result = try await Cli.run(path + ["--help"], socket: nil)
            #expect(result.status == 0, "\(command) --help exited \(result.status): \(result.stderr)")
            let examples = Self.examples(in: result.out)
            #expect(
                (1...3).contains(examples.count),
                "\(command) --help should end its description with \"Examples:\" and 1 to 3 command lines; it printed:\n\(result.out)")
            for example in examples {
                #expect(example.contains(command + " ") || example.hasSuffix(command), "\(command): example '\(example)' is not of this command")
            }
        }
    }

    /// The indented lines after an "Examples:" line, up to the next blank line.
    static func examples(in help: String) -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "Examples:") else { return [] }
        return lines[(start + 1)...].prefix { $0.hasPrefix("  ") }.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
