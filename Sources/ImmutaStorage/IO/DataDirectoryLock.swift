#if canImport(Glibc)
import Glibc
#endif

/// The flock on `DATA/immutad.lock` that keeps two owners off one data directory: immutad holds
/// it exclusively while it runs (and writes its pid into the file, which refusals name); offline
/// tools take it exclusively to change files, or shared to only read them.
public final class DataDirectoryLock: Sendable {
    /// Who takes the lock.
    public enum Mode: Sendable {
        /// The daemon: exclusive; creates the directory and the file, and records its pid.
        case owner
        /// An offline command that changes files.
        case exclusive
        /// An offline command that only reads; several may hold it at once. A directory without a
        /// lock file has never had a daemon, and is read without creating one.
        case shared
    }

    /// The lock file's path.
    public let path: String
    private let descriptor: CInt

    /// Takes the lock, without waiting.
    ///
    /// - Throws: ``DataDirectoryLockError``; when another process holds the lock, its
    ///   ``DataDirectoryLockError/holderPID`` is the pid the file records (if any).
    public init(dataDirectory: String, mode: Mode) throws {
        path = dataDirectory + "/immutad.lock"
        if mode == .owner { try FileIO.makeDirectory(dataDirectory) }
        let fd = open(path, (mode == .shared ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0o600)
        if fd < 0 && !(mode == .shared && errno == ENOENT) {
            throw DataDirectoryLockError(
                path: path, isHeld: false, holderPID: nil, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        if fd >= 0 && flock(fd, (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            let lockErrno = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            guard lockErrno == EWOULDBLOCK else {
                throw DataDirectoryLockError(
                    path: path, isHeld: false, holderPID: nil, reason: "cannot lock: \(String(cString: strerror(lockErrno)))")
            }
            let pid = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).filter(\.isNumber) : ""
            throw DataDirectoryLockError(
                path: path, isHeld: true, holderPID: pid.isEmpty ? nil : pid, reason: "held by another process")
        }
        if mode == .owner {
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        descriptor = fd
    }

    /// Releases the lock (the kernel also releases it when the process dies).
    public func release() {
        if descriptor >= 0 { close(descriptor) }
    }
}

/// The data directory's lock could not be taken.
public struct DataDirectoryLockError: Error, CustomStringConvertible, Sendable {
    /// The lock file.
    public let path: String
    /// Whether another process holds the lock (rather than the file being unusable).
    public let isHeld: Bool
    /// The pid recorded by the holder, when another process holds the lock.
    public let holderPID: String?
    /// What went wrong.
    public let reason: String

    public var description: String { "\(path): \(reason)\(holderPID.map { " (pid \($0))" } ?? "")" }
}
