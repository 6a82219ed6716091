#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking Unix-socket connection: the fuzzer must never block on one connection (a full
/// socket buffer, a daemon that stops reading) while the others wait.
struct RawSocket {
    let fd: Int32

    /// What a read or write did.
    enum Outcome: Equatable {
        case progress(Int)
        case wouldBlock
        case closed(errno: Int32)
    }

    /// Connects to `path`; nil (with errno kept) when the daemon refuses or is gone.
    static func connect(path: String) -> RawSocket? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            _ = Glibc.close(fd)
            return nil
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        // A Unix-socket connect completes at once or fails; EAGAIN means the listen backlog is full.
        guard result == 0 else {
            let error = errno
            _ = Glibc.close(fd)
            errno = error
            return nil
        }
        return RawSocket(fd: fd)
    }

    /// Writes as much of `bytes[from...]` as the socket takes now.
    func write(_ bytes: [UInt8], from start: Int) -> Outcome {
        let n = bytes.withUnsafeBytes { raw in
            send(fd, raw.baseAddress! + start, raw.count - start, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if n >= 0 { return .progress(n) }
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wouldBlock : .closed(errno: errno)
    }

    /// Reads everything the daemon has sent, handing each piece to `look` and then forgetting
    /// it: the fuzzer does not check answers, it only keeps the daemon's writes from backing up.
    func drain(into scratch: UnsafeMutableRawBufferPointer, _ look: (UnsafeRawBufferPointer) -> Void) -> Outcome {
        var total = 0
        while true {
            let n = recv(fd, scratch.baseAddress, scratch.count, Int32(MSG_DONTWAIT))
            if n > 0 {
                total += n
                look(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                continue
            }
            if n == 0 { return .closed(errno: 0) }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .progress(total) }
            return .closed(errno: errno)
        }
    }

    func close() { _ = Glibc.close(fd) }
}
