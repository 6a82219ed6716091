#if canImport(Glibc)
import Glibc
#endif

/// Reads the environment (for test hooks).
enum ProcessEnvironment {
    static func string(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// Writes to standard error before logging is set up.
enum FileHandleOutput {
    static func standardError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
