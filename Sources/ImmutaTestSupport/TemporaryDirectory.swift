#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` with a fresh, empty directory under ``temporaryBase`` and removes the
/// directory and everything in it afterwards, whether `body` returns or throws.
///
/// ```swift
/// try await withTemporaryDirectory { dir in
///     let (log, _) = try RecordLog.open(directory: dir + "/log", name: "test log")
///     ...
/// }
/// ```
public func withTemporaryDirectory<T>(
    _ label: String = "test",
    isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory(label)
    defer { try? TestFiles.removeTree(directory) }
    return try await body(directory)
}

/// Creates a new empty directory under `base` (``temporaryBase`` by default); the caller removes it.
public func makeTemporaryDirectory(_ label: String = "test", in base: String = temporaryBase) throws -> String {
    let safeLabel = String(label.unicodeScalars.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) ? Character($0) : "-" })
    var template = Array("\(base)/immuta-\(safeLabel.prefix(40))-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else {
        throw TestSupportError("mkdtemp in \(base) failed with errno \(errno)")
    }
    return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// A failure of a test helper itself (not of the code under test).
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Where temporary directories go: `$IMMUTA_TEST_TMPDIR` when set, else `/dev/shm` when it is a
/// writable directory, else `$TMPDIR` or `/tmp`. A tmpfs makes the engine's many fsyncs free, which
/// keeps the loops over damage positions fast; the logic under test does not depend on the file system.
public let temporaryBase: String = {
    if let chosen = getenv("IMMUTA_TEST_TMPDIR") { return String(cString: chosen) }
    if access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
    return getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
}()
