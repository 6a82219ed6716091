import ImmutaStorage
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Where an online export writes. Standard output, a pipe or a device is written in order; a
/// regular file is written under a temporary name in its directory, flushed and renamed over the
/// destination, so a failed or interrupted export leaves any previous file as it was.
final class ExportTarget {
    let name: String
    let writer: OutputWriter
    let isSeekable: Bool
    private let descriptor: CInt
    private let destination: String?
    private var temporaryPath: String?

    init(_ path: String) throws {
        if path == "-" {
            name = "standard output"
            descriptor = STDOUT_FILENO
            destination = nil
            isSeekable = false
        } else if FileIO.exists(path) && !Self.isRegularFile(path) {
            name = path
            descriptor = open(path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
            destination = nil
            isSeekable = false
        } else {
            name = path
            let directory = FileIO.parent(of: path)
            let base = path.split(separator: "/").last.map(String.init) ?? path
            var template = Array((directory + "/." + base + ".immutactl-XXXXXX").utf8CString)
            descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { throw CLIError("cannot write in \(directory): \(String(cString: strerror(errno)))") }
            temporaryPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
            fchmod(descriptor, 0o644 & ~Self.currentUmask())
            destination = path
            isSeekable = true
        }
        writer = OutputWriter(fd: descriptor, capacity: 1 << 20)
    }

    /// Flushes what is buffered; for a file, writes the header (when given) at its start, syncs it
    /// and puts it in place.
    func finish(header: [UInt8]?) throws {
        try writer.flush()
        guard let destination, let temporaryPath else {
            if descriptor != STDOUT_FILENO { close(descriptor) }
            return
        }
        let file = FileDescriptor(rawValue: descriptor)
        if let header { try header.withUnsafeBytes { try FileIO.write(file, $0, at: 0, path: temporaryPath) } }
        try FileIO.dataSync(file, path: temporaryPath)
        close(descriptor)
        try FileIO.rename(temporaryPath, to: destination)
        self.temporaryPath = nil
        try FileIO.syncDirectory(FileIO.parent(of: destination))
    }

    /// Removes the temporary file of an export that failed.
    func abandon() {
        try? writer.flush()
        if descriptor != STDOUT_FILENO { close(descriptor) }
        if let temporaryPath { unlink(temporaryPath) }
        temporaryPath = nil
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    private static func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
