import Foundation
import ImmutaDaemonTesting
import Testing

/// Every exit status of docs/CLI.md, each from a real failure of its kind, and the global options
/// that may stand before a command's name.
@Suite(.timeLimit(.minutes(5))) struct CliExitStatusTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var status: Int32
        var says: String
        var testDescription: String { "immutactl \(arguments.joined(separator: " ")) → \(status)" }
    }

    static let withDaemon: [Case] = [
        Case(arguments: ["topic", "list"], status: 0, says: "no topics"),
        Case(arguments: ["topic", "describe", "nope"], status: 1, says: "[topic_not_found (11)]"),
        Case(arguments: ["produce", "nope"], status: 1, says: "[topic_not_found (11)]"),
        // Usage: ArgumentParser's own, a mistyped command, and values only the daemon can judge.
        Case(arguments: ["topic", "list", "--bogus"], status: 64, says: "Unknown option '--bogus'"),
        Case(arguments: ["consum", "orders"], status: 64, says: "'consum' is not a command of immutactl; did you mean 'consume'?"),
        Case(arguments: ["topic", "lst"], status: 64, says: "did you mean 'list'?"),
        Case(arguments: ["group", "restet", "orders", "g"], status: 64, says: "did you mean 'reset'?"),
        Case(arguments: ["frobnicate"], status: 64, says: "commands: topic, produce, consume"),
        Case(arguments: ["topic", "create", "small", "--segment-bytes", "4KiB"], status: 64, says: "[segment_size_out_of_range (28)]"),
        Case(arguments: ["topic", "create", "x", "--retention-age", "90"], status: 64, says: "--retention-age 90 has no unit"),
        Case(arguments: ["consume", "x", "--group", "g", "--ack-timeout", "30"], status: 64, says: "--ack-timeout 30 has no unit"),
        Case(arguments: ["topic", "create", "big", "--retention-bytes", "1GB"], status: 0, says: "retention 953.7 MiB"),
        // Global options before the command's name.
        Case(arguments: ["--json", "topic", "list"], status: 0, says: "\"name\":\"big\""),
        Case(arguments: ["--version"], status: 0, says: "immutactl 0.1.0"),
    ]

    @Test func statusesAgainstADaemon() async throws {
        let daemon = try await CliDaemon()
        for check in Self.withDaemon {
            let result = try await daemon.expect(check.status, check.arguments)
            #expect((result.out + result.stderr).contains(check.says), "\(check.testDescription): \(result.out)\(result.stderr)")
        }
        // --socket before the command, in both spellings, with no IMMUTA_SOCKET to fall back on.
        for arguments in [["--socket", daemon.socket, "topic", "list", "--json"], ["--socket=\(daemon.socket)", "--json", "topic", "list"]] {
            let result = try await Cli.expect(0, arguments, socket: nil)
            #expect(result.out.hasPrefix("[{\"name\":\"big\""), "\(arguments): \(result.out)\(result.stderr)")
        }
        #expect(await daemon.daemon.stop() == 0)
    }

    /// No daemon: a missing socket, a socket nobody accepts on, and a daemon that goes away.
    @Test func anUnreachableDaemonIs69() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        for command in [["topic", "list"], ["status"], ["produce", "t"], ["consume", "t", "--follow"]] {
            let missing = try await Cli.expect(69, command + ["--socket", dir.path + "/none.sock"], socket: nil)
            #expect(missing.stderr.contains("cannot connect to immutad at \(dir.path)/none.sock: no such socket"), "\(missing.stderr)")
        }
        // A stale socket file: nothing accepts on it.
        let stale = dir.path + "/stale.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(stale.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(fd)
        let refused = try await Cli.expect(69, ["topic", "list", "--socket", stale], socket: nil)
        #expect(refused.stderr.contains("nothing accepts connections there"), "\(refused.stderr)")

        // A follower whose daemon is killed and does not come back: also unavailable, once it
        // has tried to reconnect for IMMUTA_RECONNECT_TIMEOUT.
        let daemon = try await DaemonProcess.start(in: dir.path)
        try await Cli.expect(0, ["topic", "create", "t"], socket: daemon.socketPath)
        let follower = try CliProcess(
            ["consume", "t", "--follow"], socket: daemon.socketPath, environment: ["IMMUTA_RECONNECT_TIMEOUT": "1s"])
        try await GroupTesting.eventually("the follower is connected") {
            let status = try await Cli.run(["status", "--json"], socket: daemon.socketPath)
            return status.out.components(separatedBy: "\"client\":\"immutactl\"").count > 2
        }
        await daemon.kill9()
        let lost = await follower.finish()
        #expect(lost.status == 69, "\(lost.stderr)")
    }
}
