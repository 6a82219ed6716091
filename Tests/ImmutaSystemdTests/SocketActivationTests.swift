import Glibc
import ImmutaSystemd
import Testing

/// Socket activation as systemd performs it: the listening socket at fd 3, LISTEN_FDS, LISTEN_FDNAMES, and
/// LISTEN_PID naming the process itself, which a shell sets to its own pid just before exec'ing the probe.
@Suite("SystemdNotifier.listenedSockets", .timeLimit(.minutes(5)))
struct SocketActivationTests {
    /// Runs the probe's `listen` mode with `socket` passed as systemd would pass it.
    private func activate(_ socket: UnixSocket) throws -> ChildProcess {
        try ChildProcess(
            ["/bin/sh", "-c", "LISTEN_PID=$$ exec \"$0\" listen", Paths.probe],
            environment: ["LISTEN_FDS": "1", "LISTEN_FDNAMES": "immuta.socket"],
            descriptors: [3: socket.descriptor]
        )
    }

    @Test("an inherited listening AF_UNIX stream socket is returned with its name and serves connections")
    func listeningSocket() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/immuta.sock"
        let listener = try UnixSocket(type: Int32(SOCK_STREAM.rawValue), address: .path(path), listen: true)
        let child = try activate(listener)

        // The socket already listens, so the connection waits in the backlog until the probe accepts it.
        let connection = try UnixSocket.connect(toPath: path)
        defer { close(connection) }
        #expect(try UnixSocket.readAll(connection) == "hello from immuta.socket\n")

        let result = try child.wait()
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\n").first == "socket fd=3 name=immuta.socket")
        // The variables were removed: a second call finds nothing, and children inherit nothing.
        #expect(result.reported["again"] == "0")
    }

    enum WrongKind: String, CaseIterable, CustomTestStringConvertible {
        case datagram, notListening
        var testDescription: String { rawValue }
    }

    @Test("a socket of another kind is a clear error naming the descriptor", arguments: WrongKind.allCases)
    func wrongKindOfSocket(kind: WrongKind) throws {
        let directory = try TemporaryDirectory()
        let socket =
            switch kind {
            case .datagram: try UnixSocket(type: Int32(SOCK_DGRAM.rawValue), address: .path(directory.path + "/d.sock"))
            case .notListening:
                try UnixSocket(type: Int32(SOCK_STREAM.rawValue), address: .path(directory.path + "/s.sock"))
            }
        let result = try activate(socket).wait()
        #expect(result.status == 1)
        #expect(
            result.reported["error"]
                == "fd 3 (\"immuta.socket\") passed by the service manager is not a listening AF_UNIX stream "
                + "socket; immutad needs ListenStream=/path/to.sock with Accept=no in its socket unit"
        )
    }

    @Test("without socket activation there are no sockets")
    func notActivated() throws {
        let result = try ChildProcess.run([Paths.probe, "listen"])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput == "again=0\n")
    }
}
