import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A second daemon never takes over a live socket, and no daemon removes a socket it does not own.
@Suite(.timeLimit(.minutes(15))) struct SocketOwnershipTests {
    @Test func aSecondDaemonOnALiveSocketIsRefusedAndTheFirstStaysReachable() async throws {
        let first = TemporaryDirectory()
        let other = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: first.path)
        for _ in 0..<3 {
            let intruder = try await DaemonProcess.start(
                in: other.path, arguments: ["--socket", daemon.socketPath], waitUntilReady: false)
            #expect(await intruder.waitForExit() != 0)
            #expect(intruder.output.contains(daemon.socketPath) && intruder.output.contains("pid \(daemon.pid)"), "\(intruder.output)")
            #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
            let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            _ = try await client.ping()
            await client.close()
        }
        #expect(await daemon.stop() == 0)
    }

    @Test func aStaleSocketIsReplacedAndOnlyTheOwnSocketIsRemovedAtExit() async throws {
        let dir = TemporaryDirectory()
        var daemon = try await DaemonProcess.start(in: dir.path)
        await daemon.kill9()
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath), "SIGKILL leaves the socket file")
        daemon = try await DaemonProcess.start(in: dir.path)
        // Someone replaces the socket file while the daemon runs: at exit it leaves that file alone.
        try FileManager.default.removeItem(atPath: daemon.socketPath)
        try "not ours".write(toFile: daemon.socketPath, atomically: false, encoding: .utf8)
        #expect(await daemon.stop() == 0)
        #expect(try String(contentsOfFile: daemon.socketPath, encoding: .utf8) == "not ours")
        // A path that is not a socket is refused, naming it.
        let refused = try await DaemonProcess.start(in: dir.path, waitUntilReady: false)
        #expect(await refused.waitForExit() != 0)
        #expect(refused.output.contains("is not a socket"), "\(refused.output)")
    }

    @Test func socketPathErrorsNameThePathAndTheFix() async throws {
        let dir = TemporaryDirectory()
        let cases: [(String, String)] = [
            (dir.path + "/missing/dir/x.sock", "its directory does not exist"),
            (dir.path + "/" + String(repeating: "s", count: 120) + ".sock", "too long"),
        ]
        for (path, says) in cases {
            let daemon = try await DaemonProcess.start(in: dir.path, arguments: ["--socket", path], waitUntilReady: false)
            #expect(await daemon.waitForExit() != 0)
            #expect(daemon.output.contains(says), "\(daemon.output)")
        }
    }
}
