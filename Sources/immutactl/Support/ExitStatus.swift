import ArgumentParser
import Immuta

#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses beyond ArgumentParser's 0, 1 and 64 (docs/CLI.md, "Exit codes").
enum ExitStatus {
    /// EX_NOPERM (sysexits.h): the daemon's access rules refused the request.
    static let permissionDenied: Int32 = 77

    /// Runs the command line, mapping a denial by the daemon to exit status 77.
    static func run(_ root: any ParsableCommand.Type) async {
        do {
            var command = try root.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as ImmutaError where error.isPermissionDenied {
            printError("Error: \(error)")
            exit(permissionDenied)
        } catch {
            root.exit(withError: error)
        }
    }
}
