import ArgumentParser
import Foundation
import Immuta

#if canImport(Glibc)
import Glibc
#endif

/// The exit statuses of docs/CLI.md ("Exit codes"), from sysexits.h where one fits: 0 success,
/// 1 failure, 64 usage or a value the daemon refused as invalid, 69 daemon unavailable, 77
/// permission denied (and 128 + N after signal N).
enum ExitStatus {
    static let usage: Int32 = 64
    static let unavailable: Int32 = 69
    static let permissionDenied: Int32 = 77

    /// Runs the command line: global options moved into place, a mistyped command answered with
    /// the closest one, and errors mapped to their statuses.
    static func run(_ root: any ParsableCommand.Type) async {
        let names = Set(allCommandNames(root))
        let arguments = GlobalOptions.rearranged(Array(CommandLine.arguments.dropFirst()), commandNames: names)
        do {
            var command = try await Self.parse(root, arguments)
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if root.exitCode(for: error) != .success, let unknown = CommandSuggestion.unknownCommand(in: arguments, root: root) {
                printError("Error: \(unknown)")
                exit(usage)
            }
            if let status = status(for: error) {
                printError("Error: \(error)")
                exit(status)
            }
            root.exit(withError: error)
        }
    }

    /// Parses with the asynchronous parser when the tool is async: only it can run the shell
    /// completions that ask the daemon for names (NameCompletion).
    private static func parse(_ root: any ParsableCommand.Type, _ arguments: [String]) async throws -> any ParsableCommand {
        if let root = root as? any AsyncParsableCommand.Type { return try await root.asyncParseAsRoot(arguments) }
        return try root.parseAsRoot(arguments)
    }

    /// The status of an error that ArgumentParser would report as a plain failure (1).
    static func status(for error: any Error) -> Int32? {
        switch error {
        case let error as DaemonUnavailable:
            return error.isPermissionDenied ? permissionDenied : unavailable
        case let error as ImmutaError:
            if error.isPermissionDenied { return permissionDenied }
            if error.needsReconnect { return unavailable }
            if error.isInvalidValue { return usage }
            return nil
        default:
            return nil
        }
    }

    private static func allCommandNames(_ command: any ParsableCommand.Type) -> [String] {
        command.configuration.subcommands.flatMap { [$0._commandName] + allCommandNames($0) }
    }
}

/// immutad could not be reached (no socket, nothing listening, no permission to connect).
struct DaemonUnavailable: Error, CustomStringConvertible {
    var message: String
    /// The socket file's permissions kept this user out (77 rather than 69).
    var isPermissionDenied = false
    var description: String { message }
}
