import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Sends one saved transcript (see ``Transcripts``) over a single connection, drains what comes
/// back, and reports whether the daemon closed the connection and is still accepting new ones:
/// the reproducer for a failure found by a fuzz run.
struct Replay {
    let file: String
    let socketPath: String
    /// Seconds to wait for the daemon after the last byte is written.
    let patience: Double

    func run() -> Bool {
        guard let data = FileManager.default.contents(atPath: file) else {
            print("immuta-netfuzz: cannot read \(file)")
            return false
        }
        guard let socket = RawSocket.connect(path: socketPath) else {
            print("immuta-netfuzz: cannot connect to \(socketPath): errno \(errno)")
            return false
        }
        defer { socket.close() }
        let bytes = [UInt8](data)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { scratch.deallocate() }
        var written = 0
        var received = 0
        var closed = false
        var lastActivity = RunState.now()
        while !closed && RunState.secondsSince(lastActivity) < patience {
            var entry = pollfd(fd: socket.fd, events: Int16(POLLIN | (written < bytes.count ? POLLOUT : 0)), revents: 0)
            _ = poll(&entry, 1, 100)
            if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                switch socket.drain(into: scratch, { _ in }) {
                case .progress(let count):
                    received += count
                    if count > 0 { lastActivity = RunState.now() }
                case .wouldBlock: break
                case .closed: closed = true
                }
            }
            if !closed && written < bytes.count && entry.revents & Int16(POLLOUT) != 0 {
                switch socket.write(bytes, from: written) {
                case .progress(let count):
                    written += count
                    lastActivity = RunState.now()
                case .wouldBlock: break
                case .closed: closed = true
                }
            }
        }
        let accepting = RawSocket.connect(path: socketPath).map { $0.close() } != nil
        print(
            "immuta-netfuzz: replayed \(written) of \(bytes.count) bytes, received \(received), "
                + "daemon \(closed ? "closed the connection" : "kept the connection open \(Int(patience)) s after the last byte"), "
                + "daemon \(accepting ? "still accepts connections" : "NO LONGER ACCEPTS CONNECTIONS")")
        return accepting
    }
}
