#if canImport(Glibc)
import Glibc
#endif

/// Keeps the data directory its owner's alone. New files and directories are created 0600/0700,
/// but a tree written by an older release (0750, files 0640) let every member of the daemon's
/// group read every topic's files directly, around the access rules. Closing the top directory
/// to others is enough: nothing inside can be reached without passing through it.
public enum DataDirectoryPermissions {
    /// Removes group and other access from `path` (through a descriptor, so a symlink swapped in
    /// is not followed). Returns the mode it had when it was changed, nil when it was already
    /// private.
    public static func restrict(_ path: String) throws -> mode_t? {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw PermissionError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PermissionError(path: path, operation: "stat", errno: errno) }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return nil }
        guard fchmod(fd, mode & 0o700) == 0 else { throw PermissionError(path: path, operation: "chmod", errno: errno) }
        return mode
    }

    public struct PermissionError: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String {
            "cannot make the data directory \(path) private (\(operation): \(String(cString: strerror(errno))))"
        }
    }
}
