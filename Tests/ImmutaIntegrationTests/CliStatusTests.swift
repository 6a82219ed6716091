import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// `immutactl status`: the daemon's figures, and its health in the exit status.
@Suite(.timeLimit(.minutes(5))) struct CliStatusTests {
    @Test func figuresOfAHealthyDaemon() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        try await cli.expect(0, ["produce", "t"], stdin: Array((0..<500).map { "r\($0)\n" }.joined().utf8))
        try await cli.expect(0, ["consume", "t", "--group", "g", "--from", "earliest"])
        let status = try #require(try await cli.expect(0, ["status", "--json"]).json() as? [String: Any])
        #expect((status["pid"] as? NSNumber)?.int32Value == cli.daemon.pid)
        #expect((status["topics"] as? NSNumber)?.intValue == 1)
        #expect((status["groups"] as? NSNumber)?.intValue == 1)
        #expect(((status["disk_used_bytes"] as? NSNumber)?.intValue ?? 0) > 500 * 8)
        #expect(((status["disk_free_bytes"] as? NSNumber)?.intValue ?? 0) > 0)
        #expect(((status["uptime_ms"] as? NSNumber)?.intValue ?? -1) >= 0)
        #expect(status["healthy"] as? Bool == true)
        for rate in ["records_in_per_sec", "records_out_per_sec"] { #expect(((status[rate] as? NSNumber)?.intValue ?? -1) >= 0) }
        let text = try await cli.expect(0, ["status"])
        #expect(text.out.contains("server:      immutad 0.1.0, pid \(cli.daemon.pid), up "), "\(text.out)")
        #expect(text.out.contains("topics:      1, groups 1, connections 1"), "\(text.out)")
        #expect(text.out.contains("health:      ok"), "\(text.out)")
        #expect(await cli.daemon.stop() == 0)
    }

    /// A write stuck on a stalled disk for more than 10 s: the daemon answers, status says why it
    /// is unhealthy and exits 1.
    @Test func aStuckWriteMakesTheDaemonUnhealthy() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        let daemon = try await DaemonProcess.start(
            in: dir.path, environment: ["IMMUTA_TEST_IO_FAULTS": "write:/topics/slow/000:delay=60000@1x1"])
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("slow", options: TopicOptions(durability: "none"))
        let producer = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        let stuck = Task { _ = try? await producer.produce("slow", [Array("x".utf8)], ack: .write) }
        try await GroupTesting.eventually("the write has been stuck for 10 s", timeout: .seconds(60)) {
            try await client.stats()["longest_append_ms", default: 0] > 10_000
        }
        let status = try await Cli.expect(1, ["status"], socket: daemon.socketPath)
        #expect(status.out.contains("health:      a write has been stuck for 1"), "\(status.out)")
        await daemon.kill9()
        _ = await stuck.value
    }
}
