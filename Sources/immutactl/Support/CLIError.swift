/// A failure reported to the user: the message says what went wrong and what to do. The command
/// exits with `exitCode` after printing it to stderr.
struct CLIError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
