import ImmutaStorage
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A seed-format file opened for an online import: a regular file read in place, or standard
/// input copied first to an unlinked temporary file. Import reads its input twice (a check of the
/// whole file, then the records), so a malformed file appends nothing, and a pipe cannot be read
/// twice.
final class SeedSource {
    let descriptor: FileDescriptor
    let size: UInt64
    /// How the file is named in messages.
    let name: String

    init(path: String) throws {
        if path == "-" {
            name = "standard input"
            descriptor = try Self.spoolStandardInput()
        } else {
            name = path
            guard FileIO.exists(path) else { throw CLIError("cannot import \(path): no such file") }
            guard !FileIO.isDirectory(path) else { throw CLIError("cannot import \(path): it is a directory") }
            descriptor = try FileIO.open(path, readOnly: true)
        }
        size = try FileIO.size(descriptor, path: name)
    }

    deinit { try? descriptor.close() }

    /// Reads `count` bytes at `position`; fewer at the end of the file.
    func read(_ count: Int, at position: UInt64) throws -> [UInt8] {
        let available = Int(min(UInt64(count), size - min(position, size)))
        return try FileIO.read(descriptor, count: available, at: position, path: name)
    }

    /// Copies standard input to a temporary file that is already unlinked, so nothing is left
    /// behind whatever happens.
    private static func spoolStandardInput() throws -> FileDescriptor {
        let directory = ProcessEnvironment.temporaryDirectory
        var template = Array((directory + "/immutactl-import-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw CLIError("cannot buffer standard input in \(directory): \(String(cString: strerror(errno))) (set TMPDIR to a writable directory)")
        }
        let path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        unlink(path)
        let file = FileDescriptor(rawValue: fd)
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var position: UInt64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n == 0 { return file }
            if n < 0 {
                if errno == EINTR { continue }
                try? file.close()
                throw CLIError("cannot read standard input: \(String(cString: strerror(errno)))")
            }
            do {
                try chunk.withUnsafeBytes {
                    try FileIO.write(file, UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: position, path: "a temporary file in \(directory)")
                }
            } catch {
                try? file.close()
                throw CLIError("cannot buffer standard input in \(directory): \(error) (set TMPDIR to a directory with room)")
            }
            position += UInt64(n)
        }
    }
}

enum ProcessEnvironment {
    /// $TMPDIR, or /tmp.
    static var temporaryDirectory: String {
        if let value = getenv("TMPDIR"), let directory = String(validatingCString: value), !directory.isEmpty { return directory }
        return "/tmp"
    }
}
