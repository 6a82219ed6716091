import Glibc

/// An AF_UNIX socket made by a test: a datagram socket standing in for systemd's notify socket or
/// journald's native socket, or a stream socket to pass to a child by socket activation.
final class UnixSocket {
    enum Address {
        /// A filesystem path.
        case path(String)
        /// A name in the abstract namespace, without the leading NUL.
        case abstract(String)
    }

    let descriptor: Int32
    let address: Address

    /// The address as NOTIFY_SOCKET spells it: the path, or `@` and the abstract name.
    var notifySocketValue: String {
        switch address {
        case .path(let path): path
        case .abstract(let name): "@" + name
        }
    }

    /// Creates and binds a socket of `type` (SOCK_DGRAM or SOCK_STREAM), listening when `listen` is set.
    init(type: Int32, address: Address, listen: Bool = false) throws {
        descriptor = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("could not create an AF_UNIX socket") }
        self.address = address
        let bound = Self.withAddress(address) { bind(descriptor, $0, $1) }
        guard bound == 0 else {
            close(descriptor)
            throw HarnessError("could not bind \(notifySocketValue)")
        }
        if listen && Glibc.listen(descriptor, 16) != 0 {
            close(descriptor)
            throw HarnessError("could not listen on \(notifySocketValue)")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Waits up to `timeout` for a datagram and returns it.
    func receive(timeout: Duration = .seconds(10)) throws -> [UInt8] {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000)
        while true {
            let ready = poll(&poller, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else {
                throw HarnessError("no datagram on \(notifySocketValue) within \(timeout)", errno: 0)
            }
            break
        }
        guard let datagram = try receiveIfQueued() else {
            throw HarnessError("poll said a datagram was queued on \(notifySocketValue), but none was", errno: 0)
        }
        return datagram
    }

    /// The next queued datagram, or `nil` at once when none is queued.
    func receiveIfQueued() throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count >= 0 { return Array(buffer[..<count]) }
            if errno == EINTR { continue }
            if errno == EAGAIN { return nil }
            throw HarnessError("could not receive on \(notifySocketValue)")
        }
    }

    /// Connects a new stream socket to `path` and returns its descriptor.
    static func connect(toPath path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("could not create an AF_UNIX socket") }
        guard withAddress(.path(path), { Glibc.connect(descriptor, $0, $1) }) == 0 else {
            close(descriptor)
            throw HarnessError("could not connect to \(path)")
        }
        return descriptor
    }

    /// Reads from a stream until the peer closes it, waiting up to `timeout` for each read.
    static func readAll(_ descriptor: Int32, timeout: Duration = .seconds(10)) throws -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(timeout.components.seconds * 1000)) > 0 else {
                throw HarnessError("nothing to read within \(timeout)", errno: 0)
            }
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw HarnessError("could not read") }
            if count == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
        }
    }

    private static func withAddress<Result>(
        _ address: Address,
        _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) -> Result {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let name: [UInt8]
        switch address {
        case .path(let path): name = Array(path.utf8) + [0]
        case .abstract(let abstract): name = [0] + Array(abstract.utf8)
        }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        precondition(name.count <= capacity, "socket address too long: \(address)")
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + name.count)
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// journald's native protocol, as clients send it to /run/systemd/journal/socket: fields one after the
/// other, each either `NAME=value\n`, or, when the value may hold a newline, `NAME\n`, the value's length
/// as a 64-bit little-endian integer, the value, and `\n`.
enum JournalNativeProtocol {
    struct Field: Equatable {
        let name: String
        let value: String
        /// Whether the field was sent in the length-prefixed form.
        let binary: Bool
    }

    static func parse(_ bytes: [UInt8]) throws -> [Field] {
        var fields: [Field] = []
        var position = 0
        while position < bytes.count {
            guard
                let end = bytes[position...].firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\n") })
            else { throw HarnessError("field at byte \(position) has no end", errno: 0) }
            let name = String(decoding: bytes[position..<end], as: UTF8.self)
            if bytes[end] == UInt8(ascii: "=") {
                guard let newline = bytes[end...].firstIndex(of: UInt8(ascii: "\n")) else {
                    throw HarnessError("field \(name) has no newline", errno: 0)
                }
                fields.append(
                    Field(
                        name: name,
                        value: String(decoding: bytes[(end + 1)..<newline], as: UTF8.self),
                        binary: false
                    )
                )
                position = newline + 1
            } else {
                let lengthStart = end + 1
                guard lengthStart + 8 <= bytes.count else { throw HarnessError("field \(name) is cut short", errno: 0) }
                let length = bytes[lengthStart..<(lengthStart + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
                let valueStart = lengthStart + 8
                guard valueStart + length < bytes.count, bytes[valueStart + length] == UInt8(ascii: "\n") else {
                    throw HarnessError("field \(name) has a bad length \(length)", errno: 0)
                }
                fields.append(
                    Field(
                        name: name,
                        value: String(
                            decoding: bytes[valueStart..<(valueStart + length)],
                            as: UTF8.self
                        ),
                        binary: true
                    )
                )
                position = valueStart + length + 1
            }
        }
        return fields
    }
}
