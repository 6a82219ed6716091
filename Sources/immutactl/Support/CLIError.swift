/// A failure reported to the user: the message says what went wrong and what to do. ArgumentParser
/// prints it to stderr as `Error: …` and exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
