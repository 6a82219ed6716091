import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A listening Unix socket that the test holds, as systemd's socket unit (immuta.socket) holds
/// `/run/immuta/immuta.sock`: daemons come and go on it through socket activation
/// (``ActivatedDaemon``), and a client that connects while none runs waits in its backlog.
public final class HeldSocket: Sendable {
    /// The socket's path.
    public let path: String
    /// The listening descriptor (close-on-exec: a daemon gets it as fd 3 through a dup).
    let descriptor: Int32
    private let closed = Atomic<Bool>(false)

    /// Binds `path` and listens on it.
    public init(path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DaemonTestError("socket() failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw DaemonTestError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // A backlog as large as the unit's (systemd's default is SOMAXCONN): clients that
        // reconnect while no daemon runs wait in it.
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw DaemonTestError("cannot listen on \(path): errno \(error)")
        }
        self.path = path
        descriptor = fd
    }

    /// Stops listening, as when the socket unit is stopped: connecting is refused from then on
    /// (the file stays, as systemd's would until it removes it).
    public func close() {
        if !closed.exchange(true, ordering: .relaxed) { Glibc.close(descriptor) }
    }

    deinit {
        close()
    }
}
