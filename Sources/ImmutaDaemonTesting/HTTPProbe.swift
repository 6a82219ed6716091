import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain HTTP/1.0 GET to 127.0.0.1, for nats-server's monitoring endpoints. Written by hand:
/// the only HTTP client at hand is FoundationNetworking's, which brings libcurl into every test
/// binary for two endpoints on the loopback interface.
enum HTTPProbe {
    /// The response's status code, or nil when nothing answers.
    static func status(port: Int, path: String) -> Int? {
        guard let response = get(port: port, path: path) else { return nil }
        let words = response.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        return words.count >= 2 ? Int(words[1]) : nil
    }

    /// The response's body, or nil when nothing answers.
    static func body(port: Int, path: String) -> String? {
        guard let response = get(port: port, path: path), let end = response.range(of: "\r\n\r\n") else { return nil }
        return String(response[end.upperBound...])
    }

    private static func get(port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            response += buffer[0..<n]
        }
        return response.isEmpty ? nil : String(decoding: response, as: UTF8.self)
    }
}

/// Free loopback TCP ports, found by binding port 0 and reading what the kernel chose. All are
/// bound at once, so they differ; they are free again once returned (a race with other programs
/// taking them meanwhile is possible, and fails the start loudly).
enum FreePorts {
    static func take(_ count: Int) throws -> [Int] {
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw DaemonTestError("socket: errno \(errno)") }
            descriptors.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
                }
            }
            guard bound == 0 else { throw DaemonTestError("binding a loopback port: errno \(errno)") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
