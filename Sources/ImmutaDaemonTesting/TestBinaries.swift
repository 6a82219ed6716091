import Foundation

/// Finds the built `immutad` and `immutactl` executables next to the running test bundle, or in
/// `$IMMUTA_BIN_DIR`.
public enum TestBinaries {
    /// The directory holding the built products.
    public static var directory: String {
        if let explicit = ProcessInfo.processInfo.environment["IMMUTA_BIN_DIR"] { return explicit }
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // Walk up out of `immutaPackageTests.xctest/...` to the build products directory.
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("immutad").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    /// The path of a built executable.
    public static func path(_ name: String) -> String { directory + "/" + name }
}

/// A directory (under /tmp unless told otherwise) removed when the value is released.
public final class TemporaryDirectory: Sendable {
    /// Its path.
    public let path: String

    /// Creates a fresh directory under `base` (kept short: Unix socket paths are limited to 107
    /// bytes). Tests of durability pass a disk-backed base (ImmutaTestSupport's DiskDirectory).
    public init(prefix: String = "imt", in base: String = "/tmp") {
        let path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

extension Duration {
    /// Whole milliseconds, for poll(2) timeouts.
    var pollMilliseconds: Int32 {
        Int32(clamping: components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
