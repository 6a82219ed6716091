import ArgumentParser
import Immuta

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--socket`, shared by every command that talks to the daemon.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "immutad's Unix socket.",
            discussion:
                "Default: $IMMUTA_SOCKET, else ./immuta.sock when that file exists, else /run/immuta/immuta.sock.",
            valueName: "path"))
    var socket: String?

    /// The socket to use: `--socket`, else `$IMMUTA_SOCKET`, else `./immuta.sock` when it exists,
    /// else the systemd unit's `/run/immuta/immuta.sock`.
    var socketPath: String {
        if let socket { return socket }
        if let environment = getenv("IMMUTA_SOCKET"), environment.pointee != 0 { return String(cString: environment) }
        if access("./immuta.sock", F_OK) == 0 { return "./immuta.sock" }
        return "/run/immuta/immuta.sock"
    }

    /// Connects to the daemon, explaining how the socket was chosen when that fails. A daemon
    /// that takes the connection and does not answer (a socket systemd holds for a service that
    /// will not start) is given up on after the reconnection bound, 30 s by default, with exit 69.
    func connect() async throws -> ImmutaClient {
        let path = socketPath
        let reconnect = try Reconnection.policy()
        let helloTimeout = reconnect.isEnabled ? reconnect.timeout : ReconnectPolicy.standard.timeout
        do {
            return try await ImmutaClient.connect(
                socketPath: path, clientName: "immutactl", reconnect: reconnect, helloTimeout: helloTimeout)
        } catch let error as ImmutaError where !error.isConnectionLost {
            // The daemon answered (a connection limit): its own words, not a guess.
            throw error
        } catch {
            let reason = Self.reason(error, socket: path)
            throw DaemonUnavailable(
                message: "cannot connect to immutad at \(path): \(reason)", isPermissionDenied: reason.hasPrefix("permission denied"))
        }
    }

    /// The cause of a failed connect, with what to do about it.
    private static func reason(_ error: any Error, socket: String) -> String {
        let text = (error as? ImmutaError)?.message ?? String(describing: error)
        let hint = "is immutad running? Pass --socket PATH or set IMMUTA_SOCKET to its socket"
        if text.contains("No such file or directory") { return "no such socket; \(hint)" }
        if text.contains("Connection refused") { return "nothing accepts connections there (a stale socket?); \(hint)" }
        if text.contains("Permission denied") {
            return "permission denied; run as a member of the socket's group (\(socketGroup(socket))) or as root"
        }
        return "\(text); \(hint)"
    }
}

/// The name of the socket file's group, or its gid.
private func socketGroup(_ path: String) -> String {
    var info = stat()
    guard stat(path, &info) == 0 else { return "immuta" }
    guard let entry = getgrgid(info.st_gid), let name = entry.pointee.gr_name else { return "gid \(info.st_gid)" }
    return String(cString: name)
}

extension ImmutaClient {
    /// Runs `body` with a connection, closing it afterwards whatever happens.
    static func with<T>(_ options: ConnectionOptions, _ body: (ImmutaClient) async throws -> T) async throws -> T {
        let client = try await options.connect()
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}
