import ArgumentParser
import Immuta

/// `immutactl status [--json]`: the daemon you reach, who it says you are, and its connections.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the daemon's version and socket, who it takes you for, and its client connections.",
        discussion: """
            With mirrors or sources configured, a line sums them up (`immutactl mirror list` has the \
            detail). Identity comes from the kernel (SO_PEERCRED) and the host's user database: the uid, gid and \
            groups that the access rules judge. One who administers every topic sees every connection; \
            anyone else sees only their own user's.

            Examples:
              immutactl status
              immutactl status --json
            """)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print a JSON object.")
    var json = false

    func run() async throws {
        let (version, connections, daemon, mirrors) = try await ImmutaClient.with(connection) { client in
            (client.serverVersion, try await client.listConnections(), try await DaemonFigures.sample(client), try await client.listMirrors())
        }
        let me = connections.first(where: \.isSelf)
        if json {
            var fields: [(String, JSON)] = [
                ("server", .string(version)), ("socket", .string(connection.socketPath)), ("healthy", .bool(daemon?.healthy ?? true)),
            ]
            if let daemon { fields += daemon.json }
            fields += [
                ("you", me.map(Self.json) ?? .null), ("connections", .array(connections.map(Self.json))), ("mirrors", .array(mirrors.map(\.json))),
            ]
            print(JSON.object(fields).rendered)
        } else {
            print("server:      \(version)" + (daemon.map { ", pid \($0.pid), up \($0.uptime)" } ?? ""))
            print("socket:      \(connection.socketPath)")
            if let me { print("you:         \(me.who), groups \(me.groups.joined(separator: ", ")); pid \(me.pid)") }
            if let daemon {
                for line in daemon.lines { print(line) }
            } else {
                print("daemon:      (its figures need an access grant)")
            }
            if !mirrors.isEmpty {
                let worst = mirrors.max { $0.lagMilliseconds < $1.lagMilliseconds }!
                let troubled = mirrors.filter { ["error", "disconnected"].contains($0.state) }.count
                print(
                    "mirrors:     \(mirrors.count) (mirrored topics and sources), largest lag \(worst.lagRecords) records / "
                        + "\(MirrorTable.duration(milliseconds: worst.lagMilliseconds)) (\(worst.name) \(worst.topic))"
                        + (troubled > 0 ? ", \(troubled) in error or disconnected: see immutactl mirror list" : ""))
            }
            print("connections: \(connections.count) shown")
            let rows = connections.map { entry in
                [
                    String(entry.id) + (entry.isSelf ? "*" : ""), String(entry.pid), entry.user.isEmpty ? "-" : entry.user, String(entry.uid),
                    String(entry.gid), entry.groups.joined(separator: ","), Self.printable(entry.clientName),
                    RFC3339.format(nanoseconds: entry.connectedAt * 1_000_000),
                ]
            }
            print(table(["ID", "PID", "USER", "UID", "GID", "GROUPS", "CLIENT", "CONNECTED"], rows, rightAligned: [0, 1, 3, 4]))
        }
        // A write stuck this long means a stalled disk: the daemon is up but not healthy.
        if let daemon, !daemon.healthy { throw ExitCode.failure }
    }

    /// A client chooses its own name: control characters in it must not reach the terminal of
    /// whoever runs status.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    static func json(_ entry: ConnectionDescription) -> JSON {
        .object([
            ("id", .uint(entry.id)), ("pid", .int(Int64(entry.pid))), ("user", .string(entry.user)),
            ("uid", .uint(UInt64(entry.uid))), ("gid", .uint(UInt64(entry.gid))), ("groups", .array(entry.groups.map(JSON.string))),
            ("client", .string(entry.clientName)), ("connected_at_ms", .int(entry.connectedAt)), ("self", .bool(entry.isSelf)),
        ])
    }
}
