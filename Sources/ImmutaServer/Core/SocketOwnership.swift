#if canImport(Glibc)
import Glibc
#endif

/// The socket path immutad binds when systemd passes none: taken over only when nothing accepts
/// on it, and removed at exit only while it is still the one this process bound.
struct SocketOwnership: Sendable {
    let path: String
    /// The inode and device of the socket file bound, to recognise it at exit.
    private(set) var identity: (device: UInt64, inode: UInt64)?

    init(path: String) {
        self.path = path
    }

    /// Removes a stale socket file at the path, refusing when a live daemon accepts on it.
    func claim() throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SocketPathError(
                path: path, reason: "exists and is not a socket; remove it or choose another socket path")
        }
        if let other = Self.liveListener(at: path) {
            let who = other > 0 ? "immutad (pid \(other))" : "another process"
            throw SocketPathError(
                path: path, reason: "is in use: \(who) accepts connections on it; stop it first or choose another --socket")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw SocketPathError(path: path, reason: "is a stale socket that cannot be removed (errno \(errno))")
        }
    }

    /// Remembers which file the bind created.
    mutating func bound() {
        var info = stat()
        if stat(path, &info) == 0 { identity = (UInt64(info.st_dev), UInt64(info.st_ino)) }
    }

    /// Gives the bound socket its group and mode. The daemon runs with umask 077, so the socket
    /// was created accessible to its owner alone: the group and mode only ever widen it to what
    /// the configuration says, never for a moment beyond.
    ///
    /// `group` is a group name or gid; nil means the `immuta` group when the host has one and the
    /// daemon may give it (as the packaged unit's SocketGroup=), else the daemon's own group.
    /// Returns a note when that default could not be applied.
    func grantAccess(mode: UInt16, group: String?) throws -> String? {
        // The path must still be the socket this process bound: in a directory others can write
        // to, it could have been replaced by a symlink to some other file since.
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK, let identity,
            UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode
        else {
            throw SocketPathError(path: path, reason: "was replaced by something else right after immutad bound it")
        }
        var note: String?
        if let gid = try groupID(group), gid != info.st_gid {
            if lchown(path, uid_t.max, gid) != 0 {
                guard group == nil else {
                    throw SocketPathError(path: path, reason: "could not be given group \(group ?? "") (gid \(gid)): errno \(errno)")
                }
                note = "the socket keeps the daemon's own group: it may not give it the immuta group (errno \(errno))"
            }
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw SocketPathError(path: path, reason: "could not be given mode \(String(mode, radix: 8)): errno \(errno)")
        }
        return note
    }

    private func groupID(_ group: String?) throws -> gid_t? {
        guard let group else { return UserDatabase.group(named: "immuta") }
        if let gid = UInt32(group) { return gid }
        guard let gid = UserDatabase.group(named: group) else {
            throw SocketPathError(
                path: path, reason: "cannot be given socket_group \(group): no such group on this host; create it or name another")
        }
        return gid
    }

    /// Removes the socket file if it is still the one bound: another daemon may have replaced it.
    func release() {
        guard let identity else { return }
        var info = stat()
        guard stat(path, &info) == 0, UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode else {
            return
        }
        unlink(path)
    }

    /// The pid of the process accepting on `path` (0 when unknown), or nil when nothing accepts.
    private static func liveListener(at path: String) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return nil }
        var credentials = (pid: Int32(0), uid: UInt32(0), gid: UInt32(0))
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return 0 }
        return credentials.pid
    }
}

/// A socket path immutad cannot use, and what to do about it.
public struct SocketPathError: Error, Sendable, CustomStringConvertible {
    /// The path.
    public var path: String
    /// Why, and the fix.
    public var reason: String

    public var description: String { "socket \(path) \(reason)" }
}
