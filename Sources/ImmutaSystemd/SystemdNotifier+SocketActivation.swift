import CSystemd
import Glibc

/// A listening socket inherited from the service manager through socket activation.
public struct ListenedSocket: Hashable, Sendable {
    /// The file descriptor, 3 or above. It is close-on-exec and owned by the caller.
    public let fileDescriptor: Int32
    /// The socket's name: `FileDescriptorName=` in the socket unit, by default the socket unit's name
    /// (`immuta.socket`), or `unknown` when the service manager passed no names.
    public let name: String

    /// Creates a value describing an inherited socket.
    public init(fileDescriptor: Int32, name: String) {
        self.fileDescriptor = fileDescriptor
        self.name = name
    }
}

extension SystemdNotifier {
    /// The listening sockets passed by socket activation (LISTEN_FDS and LISTEN_FDNAMES), or `[]` when
    /// the process was not socket-activated.
    ///
    /// Every passed descriptor must be an AF_UNIX stream socket in the listening state, as
    /// `ListenStream=/run/immuta/immuta.sock` creates. The environment variables are removed, so child
    /// processes do not inherit them and a second call returns `[]`: call this once, at start-up.
    ///
    /// - Throws: ``SystemdError/Code/unsupportedSocket`` naming the descriptor when one is of another kind
    ///   (a datagram or IP socket, a connection passed with `Accept=yes`, a FIFO), and
    ///   ``SystemdError/Code/socketActivationFailed`` when the variables are malformed.
    public func listenedSockets() throws(SystemdError) -> [ListenedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
        let count = sd_listen_fds_with_names(1, &names)
        defer { Self.free(names) }
        if count < 0 {
            throw SystemdError(
                code: .socketActivationFailed,
                message: "the socket-activation variables from the service manager are malformed "
                    + "(LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES); start immutad through immuta.socket or without them",
                errno: -count
            )
        }
        var sockets: [ListenedSocket] = []
        for index in 0..<Int(count) {
            let descriptor = SD_LISTEN_FDS_START + Int32(index)
            let name = names?[index].map { String(cString: $0) } ?? "unknown"
            let result = sd_is_socket_unix(descriptor, Int32(SOCK_STREAM.rawValue), 1, nil, 0)
            if result < 0 {
                throw SystemdError(
                    code: .socketActivationFailed,
                    message: "could not examine fd \(descriptor) (\"\(name)\") passed by the service manager",
                    errno: -result
                )
            }
            if result == 0 {
                throw SystemdError(
                    code: .unsupportedSocket,
                    message: "fd \(descriptor) (\"\(name)\") passed by the service manager is not a listening AF_UNIX "
                        + "stream socket; immutad needs ListenStream=/path/to.sock with Accept=no in its socket unit"
                )
            }
            sockets.append(ListenedSocket(fileDescriptor: descriptor, name: name))
        }
        return sockets
    }

    /// Frees the NULL-terminated array of names that sd_listen_fds_with_names allocated.
    private static func free(_ names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        guard let names else { return }
        var index = 0
        while let name = names[index] {
            Glibc.free(name)
            index += 1
        }
        Glibc.free(names)
    }
}
