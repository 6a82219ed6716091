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

/// A mirror that cannot reach its servers can be paused too: it stops trying, shows `paused`,
/// and goes back to connecting when resumed.
@Suite(.timeLimit(.minutes(5))) struct MirrorPauseWhileDisconnectedTests {
    @Test func aDisconnectedMirrorPausesAndResumes() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(
            in: dir.path,
            config: """
                host_id: h
                mirrors:
                  - name: unreachable
                    topics: ["orders"]
                    servers: ["nats://127.0.0.1:1"]
                """)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("orders")
        try await waitForState(client, in: ["disconnected", "connecting"])
        try await client.setMirrorPaused("unreachable", true)
        try await waitForState(client, in: ["paused"])
        try await client.setMirrorPaused("unreachable", false)
        try await waitForState(client, in: ["disconnected", "connecting"])
        await client.close()
        _ = await daemon.stop()
    }

    private func waitForState(_ client: ImmutaClient, in states: Set<String>) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let state = try await client.listMirrors().first?.state, states.contains(state) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the mirror never reached \(states): \(String(describing: try await client.listMirrors().first))")
    }
}

/// A mirror's pattern takes at most max_topics topics (each costs a thread and a connection):
/// the ones beyond are not mirrored, and the log names them.
@Suite(.timeLimit(.minutes(5))) struct MirrorTopicLimitTests {
    @Test func topicsBeyondMaxTopicsAreNotMirrored() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(
            in: dir.path,
            config: """
                host_id: h
                mirrors:
                  - name: capped
                    topics: ["t*"]
                    servers: ["nats://127.0.0.1:1"]
                    max_topics: 2
                """)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        for name in ["t1", "t2", "t3", "t4"] { try await client.createTopic(name) }
        try await daemon.waitForOutput(containing: "topic not mirrored: the mirror already has max_topics topics")
        let mirrored = try await client.listMirrors()
        #expect(mirrored.count == 2 && mirrored.allSatisfy { $0.name == "capped" }, "\(mirrored.map(\.topic))")
        await client.close()
        _ = await daemon.stop()
    }
}
