import Immuta
import ImmutaDaemonTesting
import Testing

/// The systemd status line carries the mirrors' largest lag and how many are in trouble, so
/// `systemctl status immuta` shows a mirror that cannot reach its cluster.
@Suite(.timeLimit(.minutes(5))) struct MirrorStatusLineTests {
    @Test func theStatusLineShowsTheLargestLagAndTheMirrorsInTrouble() async throws {
        let dir = TemporaryDirectory()
        let notify = try NotifySocket(directory: dir.path, abstract: false)
        let daemon = try await DaemonProcess.start(
            in: dir.path, environment: ["NOTIFY_SOCKET": notify.address],
            config: """
                host_id: h
                mirrors:
                  - name: unreachable
                    topics: ["orders"]
                    servers: ["nats://127.0.0.1:1"]
                """, waitUntilReady: false)
        _ = try #require(await notify.receive(until: "READY=1"))
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("orders")
        _ = try await client.produce("orders", (0..<5).map { Array("r\($0)".utf8) }, ack: .write)
        await client.close()
        let lines = try #require(await notify.receive(until: "mirror lag 5 records", timeout: .seconds(30)), "no status line with the lag")
        let status = try #require(lines.last { $0.contains("mirror lag") })
        #expect(status.contains("; 1 mirror link, mirror lag 5 records/") && status.contains("1 in error or disconnected"), "\(status)")
        _ = await daemon.stop()
    }
}
