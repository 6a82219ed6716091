import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// immutactl clients whose daemon does not come back give up after IMMUTA_RECONNECT_TIMEOUT
/// and exit 69, saying so.
@Suite(.timeLimit(.minutes(5))) struct ReconnectBoundTests {
    /// With the socket still held (a connection is taken but HELLO is never answered, as when
    /// the socket unit outlives a daemon that fails to start) and with nothing listening any more.
    @Test func clientsGiveUpWithinTheBound() async throws {
        for socketStaysHeld in [true, false] {
            let what = socketStaysHeld ? "socket held" : "socket closed"
            let daemon = try await RestartingDaemon()
            try await Cli.expect(0, ["topic", "create", "feed"], socket: daemon.path)
            let bound = ["IMMUTA_RECONNECT_TIMEOUT": "2s"]
            let follower = try PipedCli(["consume", "feed", "--follow"], socket: daemon.path, environment: bound)
            let member = try PipedCli(
                ["consume", "feed", "--group", "g", "--follow", "--from", "earliest"], socket: daemon.path, environment: bound)
            let producer = try PipedCli(["produce", "feed"], socket: daemon.path, environment: bound)
            try producer.write("first\n")
            // All three are connected once the record has gone through.
            try await DaemonRestartTests.waitUntil("\(what): the first record was printed", [follower, member]) {
                follower.stdout.lines == ["first"] && member.stdout.lines == ["first"]
            }

            let stopping = ContinuousClock.now
            #expect(await daemon.stopForGood() == 0, "\(what)")
            if !socketStaysHeld { daemon.socket.close() }
            // From when the daemon is gone: its own shutdown took up to 100 s in a loaded
            // sanitizer run, and is not the clients' to bound.
            let stopped = ContinuousClock.now
            try producer.write("second\n")  // a producer finds out when it next sends
            for (name, client) in [("follower", follower), ("member", member), ("producer", producer)] {
                let status = await client.waitForExit()
                let elapsed = ContinuousClock.now - stopped
                let said = client.said
                #expect(status == 69, "\(what): \(name) exited \(status): \(said)")
                #expect(said.contains("immutactl: connection to immutad lost ("), "\(what): \(name): \(said)")
                #expect(said.contains("could not reconnect to immutad at \(daemon.path) within 2 s"), "\(what): \(name): \(said)")
                // The clients lost the connection once the shutdown began, after `stopping`.
                #expect(ContinuousClock.now - stopping >= .seconds(2), "\(what): \(name) gave up before the bound")
                #expect(elapsed < TestBudget.time(.seconds(15)), "\(what): \(name) took \(elapsed) to give up")
            }
        }
    }
}

/// A socket that takes connections while no daemon answers (systemd's socket unit with a service
/// that fails to start) does not hang a command's first connect: it gives up after the bound.
@Suite(.timeLimit(.minutes(5))) struct FirstConnectBoundTests {
    @Test func aHeldSocketWithoutADaemonEndsTheFirstConnectWithinTheBound() async throws {
        let dir = TemporaryDirectory(prefix: "held")
        let socket = try HeldSocket(path: dir.path + "/immuta.sock")
        defer { socket.close() }
        for command in [["topic", "list"], ["status"], ["consume", "t", "--follow"], ["produce", "t"]] {
            let started = ContinuousClock.now
            let result = try await withDeadline("\(command) to give up", timeout: .seconds(60)) {
                try await CliProcess(command, socket: socket.path, environment: ["IMMUTA_RECONNECT_TIMEOUT": "2s"]).finish()
            }
            let elapsed = ContinuousClock.now - started
            #expect(result.status == 69, "\(command): exited \(result.status): \(result.stderr)")
            #expect(result.stderr.contains("did not answer HELLO in time"), "\(command): \(result.stderr)")
            #expect(elapsed >= .seconds(2), "\(command) gave up after \(elapsed), before the bound")
            #expect(elapsed < TestBudget.time(.seconds(15)), "\(command) took \(elapsed) to give up")
        }
    }
}

/// A bound that is not a duration is refused before anything is done, saying what is wrong.
@Suite struct ReconnectBoundValueTests {
    @Test func aMalformedBoundIsAUsageError() async throws {
        let dir = TemporaryDirectory(prefix: "bound")
        for value in ["90", "abc", "-1s", "1.5s", "s", "10 s", "30sec", "99999999999999999999ms"] {
            for command in [["consume", "t", "--follow"], ["produce", "t"], ["topic", "list"]] {
                let result = try await CliProcess(
                    command + ["--socket", dir.path + "/none.sock"], socket: nil, environment: ["IMMUTA_RECONNECT_TIMEOUT": value]
                ).finish()
                #expect(result.status == 64, "\(value) \(command): exited \(result.status): \(result.stderr)")
                #expect(result.stderr.contains("IMMUTA_RECONNECT_TIMEOUT=\(value): "), "\(value): \(result.stderr)")
            }
        }
        // 0 turns reconnecting off: a valid value, so the missing daemon is what is reported.
        let off = try await CliProcess(
            ["topic", "list", "--socket", dir.path + "/none.sock"], socket: nil, environment: ["IMMUTA_RECONNECT_TIMEOUT": "0"]
        ).finish()
        #expect(off.status == 69, "\(off.stderr)")
    }
}
