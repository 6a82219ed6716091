import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The directory the scenarios work in. Crash checks mean nothing on tmpfs (nothing there ever
/// reaches a disk, and fsync is a no-op), so a tmpfs base is refused unless explicitly allowed.
struct Workspace: Sendable {
    let base: String

    static let tmpfsMagic: Int = 0x0102_1994

    init(base: String, allowTmpfs: Bool) throws {
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        self.base = URL(fileURLWithPath: base).standardizedFileURL.path
        if !allowTmpfs, try Self.isTmpfs(self.base) {
            throw CheckerError("\(self.base) is on tmpfs; crash checks need a disk-backed directory (give --dir, or --allow-tmpfs)")
        }
    }

    static func isTmpfs(_ path: String) throws -> Bool {
        // Glibc's Swift module does not export sys/vfs.h; struct statfs starts with f_type (a
        // long) on every Linux architecture, and is smaller than this buffer.
        var buffer = [Int](repeating: 0, count: 64)
        guard linuxStatfs(path, &buffer) == 0 else { throw CheckerError("statfs(\(path)) failed: errno \(errno)") }
        return buffer[0] == tmpfsMagic
    }

    /// A fresh, empty directory for one scenario (short, since the socket lives inside it and
    /// Unix socket paths are limited to 107 bytes).
    func fresh(_ name: String) throws -> String {
        let path = base + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard path.utf8.count < 90 else { throw CheckerError("\(path) is too long for a Unix socket path inside it; give a shorter --dir") }
        return path
    }

    /// Replaces `destination` with a copy of `source`.
    static func copyTree(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }
}

@_silgen_name("statfs")
private func linuxStatfs(_ path: UnsafePointer<CChar>, _ buffer: UnsafeMutablePointer<Int>) -> Int32

/// A problem of the checker's own setup (not a failed check of immutad).
struct CheckerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
