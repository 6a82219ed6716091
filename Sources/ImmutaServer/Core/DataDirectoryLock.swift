import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive flock on `DATA/immutad.lock`, so two daemons never own the same topics. The file
/// holds the owner's pid, which the refusal message names.
public final class DataDirectoryLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: CInt

    /// Takes the lock.
    ///
    /// - Throws: ``DataDirectoryLockError`` naming the pid that holds it.
    public init(dataDirectory: String) throws {
        path = dataDirectory + "/immutad.lock"
        try FileIO.makeDirectory(dataDirectory)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw DataDirectoryLockError(message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, 31, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingWhitespace : "another process"
            throw DataDirectoryLockError(
                message: "data directory \(dataDirectory) is in use by immutad pid \(holder) (lock \(path)); stop it first or choose another --data-dir")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
    }

    /// Releases the lock (also released by the kernel when the process dies).
    public func release() {
        close(descriptor)
    }
}

/// The data directory is locked by another process.
public struct DataDirectoryLockError: Error, CustomStringConvertible, Sendable {
    /// What happened and what to do.
    public let message: String
    public var description: String { message }
}

extension String {
    var trimmingWhitespace: String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
