#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Holds `DATA/immutad.lock` for an offline command, the lock immutad takes while it owns a data
/// directory. Holding it means no daemon has the directory open, and none can start and change
/// the files under us until we exit.
final class OfflineDataDirectory {
    let path: String
    private let fd: CInt

    /// Locks `path`.
    ///
    /// - Parameters:
    ///   - exclusive: false for commands that only read (verify), so that several can run at once.
    ///   - alternative: what to do instead while the daemon runs, for the refusal message (nil:
    ///     nothing, the daemon must be stopped).
    init(_ path: String, exclusive: Bool, alternative: String?) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CLIError("data directory \(path) does not exist (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw CLIError("data directory \(path) is not a directory") }
        self.path = path
        let lockPath = path + "/immutad.lock"
        // A reader does not create the lock file: a directory without one has never had a daemon.
        var fd = open(lockPath, (exclusive ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0o640)
        if fd < 0 && errno == ENOENT && !exclusive {
            fd = -1
        } else if fd < 0 {
            throw CLIError("cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        if fd >= 0 && flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            let lockErrno = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            guard lockErrno == EWOULDBLOCK else {
                throw CLIError("cannot lock \(lockPath): \(String(cString: strerror(lockErrno)))")
            }
            let pid = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).filter { $0.isNumber } : ""
            throw CLIError(
                "data directory \(path) is in use by immutad\(pid.isEmpty ? "" : " (pid \(pid))")"
                    + " or an offline immutactl command; "
                    + (alternative.map { "stop it, or \($0)" } ?? "stop it first"))
        }
        self.fd = fd
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// `DATA/topics`.
    var topicsDirectory: String { path + "/topics" }
}
