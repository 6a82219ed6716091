import ImmutaStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Holds `DATA/immutad.lock` for an offline command, the lock immutad takes while it owns a data
/// directory. Holding it means no daemon has the directory open, and none can start and change
/// the files under us until we exit.
final class OfflineDataDirectory {
    let path: String
    private let lock: DataDirectoryLock

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
        do {
            lock = try DataDirectoryLock(dataDirectory: path, mode: exclusive ? .exclusive : .shared)
        } catch let error as DataDirectoryLockError where error.isHeld {
            throw CLIError(
                "data directory \(path) is in use by immutad\(error.holderPID.map { " (pid \($0))" } ?? "")"
                    + " or an offline immutactl command; "
                    + (alternative.map { "stop it, or \($0)" } ?? "stop it first"))
        } catch {
            throw CLIError("\(error)")
        }
    }

    deinit { lock.release() }

    /// `DATA/topics`.
    var topicsDirectory: String { path + "/topics" }
}
