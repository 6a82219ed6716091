import Synchronization
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
    private let identity: LockHolders.Identity?
    private let released = Atomic<Bool>(false)

    /// Takes the lock, without waiting for another holder.
    ///
    /// A lock that a holder in this process has just released can still be held for an instant by
    /// a child being spawned (see ``LockHolders``); that instant is waited out, for up to two
    /// seconds, so that a directory closed here can be opened again at once.
    ///
    /// - Throws: ``DataDirectoryLockError``; when another process holds the lock, its
    ///   ``DataDirectoryLockError/holderPID`` is the pid the file records (if any).
    public init(dataDirectory: String, mode: Mode) throws {
        path = dataDirectory + "/immutad.lock"
        if mode == .owner { try FileIO.makeDirectory(dataDirectory) }
        let deadline = ContinuousClock.now + .seconds(2)
        while true {
            switch try Self.take(path, mode: mode) {
            case .taken(let fd, let identity):
                descriptor = fd
                self.identity = identity
                if let identity { LockHolders.add(identity) }
                return
            case .heldByReleasedCopy(let error):
                guard ContinuousClock.now < deadline else { throw error }
                usleep(1_000)
            }
        }
    }

    private enum Attempt {
        case taken(CInt, LockHolders.Identity?)
        /// Held under our pid though nothing here holds it: a released lock a child still shares.
        case heldByReleasedCopy(DataDirectoryLockError)
    }

    private static func take(_ path: String, mode: Mode) throws -> Attempt {
        let fd = open(path, (mode == .shared ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0o600)
        if fd < 0 && !(mode == .shared && errno == ENOENT) {
            throw DataDirectoryLockError(
                path: path, isHeld: false, holderPID: nil, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        guard fd >= 0 else { return .taken(fd, nil) }
        let identity = LockHolders.Identity(descriptor: fd)
        if flock(fd, (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
            let lockErrno = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            guard lockErrno == EWOULDBLOCK else {
                throw DataDirectoryLockError(
                    path: path, isHeld: false, holderPID: nil, reason: "cannot lock: \(String(cString: strerror(lockErrno)))")
            }
            let pid = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).filter(\.isNumber) : ""
            let ours = pid == String(getpid())
            let heldHere = identity.map(LockHolders.isHeldHere) ?? true
            let error = DataDirectoryLockError(
                path: path, isHeld: true, holderPID: pid.isEmpty ? nil : pid,
                reason: ours && heldHere ? "held in this process" : "held by another process")
            guard ours && !heldHere else { throw error }
            return .heldByReleasedCopy(error)
        }
        if mode == .owner {
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(fd, 0)
            _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return .taken(fd, identity)
    }

    /// Releases the lock (the kernel also releases it when the process dies). Later calls do nothing.
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let identity { LockHolders.remove(identity) }
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
