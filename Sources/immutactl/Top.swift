import ArgumentParser
import Immuta

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `immutactl top [--json]`: a live view of the daemon's topics and consumer groups, like `top`,
/// `nats top` or `redis-cli --stat`.
struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch the daemon's topics and consumer groups live: records/s, sizes, lag, connections.",
        discussion: """
            On a terminal the view is redrawn each second until you press q or Ctrl-C, and fits the \
            window: long names are shortened, columns left out, and rows that do not fit are counted \
            on a line of their own. Topics come busiest first, groups with the most lag first. When \
            standard output is not a terminal (or with --json) it prints one snapshot and exits.

            IN/S is the records appended to a topic per second; ACKED/S how fast a group's committed \
            offset moves; LAG the records of the topic the group has not yet acknowledged. Rates are \
            measured between two readings (half a second apart for a snapshot).

            Examples:
              immutactl top                       # live, until q
              immutactl top | cat                 # one snapshot as text
              immutactl top --json | jq '.groups[] | select(.lag > 1000)'
            """)

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print one snapshot as a JSON object and exit.")
    var json = false

    func run() async throws {
        try await ImmutaClient.with(connection) { client in
            let first = try await TopSample.read(client)
            if json || isatty(STDOUT_FILENO) != 1 {
                try await printSnapshot(client, from: first)
                return
            }
            // SIGTERM, or SIGINT and SIGHUP sent by others (Ctrl-C itself is a key here): the
            // view ends the same way as after q, then exits with 128 + the signal's number.
            let stop = SignalStop([SIGINT, SIGTERM, SIGHUP])
            let live = LiveTop(client: client, server: client.serverVersion, socket: connection.socketPath)
            try await stop.run { try await live.run(from: first) }.get()
            if let signal = stop.received { throw ExitCode(128 + signal) }
        }
    }

    /// One snapshot, its rates over `DaemonFigures.sampleInterval` (as `status` measures them).
    private func printSnapshot(_ client: ImmutaClient, from first: TopSample) async throws {
        try await Task.sleep(for: DaemonFigures.sampleInterval)
        let snapshot = TopSnapshot(
            server: client.serverVersion, socket: connection.socketPath, from: first, to: try await TopSample.read(client))
        if json {
            print(snapshot.json.rendered)
        } else {
            for line in TopScreen.lines(snapshot, width: nil, height: nil) { print(line) }
        }
    }
}
