#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Prints a line to standard error (status messages, so that standard output carries only data).
func printError(_ message: String, terminator: String = "\n") {
    var line = message + terminator
    line.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let n = write(STDERR_FILENO, bytes.baseAddress! + done, bytes.count - done)
            if n <= 0 && errno != EINTR { return }
            if n > 0 { done += n }
        }
    }
}

/// `1 record`, `2 records`.
func plural(_ count: some BinaryInteger, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
