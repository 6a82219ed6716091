import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A test-owned AF_UNIX datagram socket to pass as NOTIFY_SOCKET, receiving what the daemon
/// tells systemd (READY=1, STATUS=…, WATCHDOG=1, RELOADING=1, STOPPING=1).
// Unchecked: a datagram socket read by one test at a time (on a thread of its own while it waits).
public final class NotifySocket: @unchecked Sendable {
    private let fd: Int32
    /// The value for NOTIFY_SOCKET: a path, or `@name` for an abstract socket.
    public let address: String
    private let path: String?

    /// Binds a socket at `path`, or an abstract one when `abstract` is true.
    public init(directory: String, abstract: Bool) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw DaemonTestError("socket() failed: errno \(errno)") }
        let name = abstract ? "immuta-test-\(UUID().uuidString.prefix(12))" : directory + "/notify.sock"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        let offset = abstract ? 1 : 0
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[offset + i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + offset + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard result == 0 else { throw DaemonTestError("bind(\(name)) failed: errno \(errno)") }
        self.address = abstract ? "@" + name : name
        self.path = abstract ? nil : name
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    /// The next datagram, or nil after `timeout`.
    public func receive(timeout: Duration = .seconds(30)) -> String? {
        let ms = timeout.pollMilliseconds
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, ms) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// Discards every datagram already waiting, returning how many there were.
    @discardableResult
    public func drain() -> Int {
        var count = 0
        while receive(timeout: .zero) != nil { count += 1 }
        return count
    }

    /// ``receive(until:timeout:)`` on a thread of its own, so the wait does not hold one of the
    /// test runner's few cooperative threads (other tests' clients would starve meanwhile).
    public func receive(until text: String, timeout: Duration = .seconds(30)) async -> [String]? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.receiveBlocking(until: text, timeout: timeout)) }
        }
    }

    /// Receives until a message containing `text` arrives; returns every message up to and
    /// including it (nil when the timeout passes first).
    public func receiveBlocking(until text: String, timeout: Duration = .seconds(30)) -> [String]? {
        let deadline = ContinuousClock.now + timeout
        var messages: [String] = []
        while ContinuousClock.now < deadline {
            guard let message = receive(timeout: deadline - ContinuousClock.now) else { return nil }
            messages.append(message)
            if message.contains(text) { return messages }
        }
        return nil
    }
}
