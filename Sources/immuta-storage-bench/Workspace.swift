import Dispatch
import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// The scratch directory every case writes into. Each case gets a fresh subdirectory that is
/// deleted as soon as the case is done, so the benchmark never holds more than one case's files.
/// The whole directory is removed at the end, and on SIGINT or SIGTERM.
final class Workspace: Sendable {
    /// The directory this run created (and will remove).
    let root: String
    nonisolated(unsafe) private var signalSources: [any DispatchSourceSignal] = []

    /// Creates a fresh directory: under `/tmp` by default, or inside `parent`.
    ///
    /// - Parameter requiredBytes: free space to insist on, so that a benchmark cannot fill a disk.
    init(parent: String?, requiredBytes: UInt64) throws {
        let base = parent ?? "/tmp"
        try FileIO.makeDirectory(base)
        var template = Array((base + "/immuta-storage-bench-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw BenchError("cannot create a scratch directory in \(base): \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        var info = statvfs()
        if statvfs(root, &info) == 0 {
            let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
            if free < requiredBytes {
                try? FileIO.removeTree(root)
                throw BenchError(
                    "\(base) has \(free >> 20) MiB free; the benchmark needs \(requiredBytes >> 20) MiB. "
                        + "Pass --dir on a larger file system, or --quick.")
            }
        }
        installSignalCleanup()
    }

    /// A new, empty directory for one case.
    func directory(_ name: String) throws -> String {
        let path = root + "/" + name
        if FileIO.exists(path) { try FileIO.removeTree(path) }
        try FileIO.makeDirectory(path)
        return path
    }

    /// A path for a scratch file (not created).
    func file(_ name: String) -> String { root + "/" + name }

    /// Deletes a case's directory or file. Dirty pages of deleted files are dropped, not written.
    func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR { try? FileIO.removeTree(path) } else { unlink(path) }
    }

    /// Removes everything this run created.
    func removeAll() { try? FileIO.removeTree(root) }

    private func installSignalCleanup() {
        let root = self.root
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                try? FileIO.removeTree(root)
                FileHandleStandardError.write("interrupted; removed \(root)\n")
                exit(128 + number)
            }
            source.resume()
            signalSources.append(source)
        }
    }
}

/// A failure of the benchmark itself, with a message for the user.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Progress lines go to standard error, so `--json` output on standard output stays clean.
enum FileHandleStandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + done, raw.count - done)
                if n <= 0 { break }
                done += n
            }
        }
    }
}
