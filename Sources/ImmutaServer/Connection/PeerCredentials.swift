import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The connecting process's credentials from the kernel (SO_PEERCRED), which a client cannot forge.
struct PeerCredentials: Sendable {
    // Glibc hides `struct ucred` behind _GNU_SOURCE; this has its layout.
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0

    /// Reads the peer's credentials and hands them to `body` (right away when called on the
    /// channel's event loop).
    static func read(from channel: any Channel, _ body: @escaping @Sendable (PeerCredentials) -> Void) {
        guard let provider = channel as? any SocketOptionProvider else { return }
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        credentials.whenSuccess(body)
    }
}
