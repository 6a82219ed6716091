import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// `immutactl mirror list|describe|pause|resume` and `status` against a daemon mirroring into a
/// real cluster; a mirror that cannot connect shows its error; a reload with fixed settings
/// restarts only that mirror; a lag past its threshold is logged.
@Suite(.timeLimit(.minutes(10)), .serialized) struct MirrorCliTests {
    @Test func theCliShowsPausesAndResumesMirrors() async throws {
        let broken = """
              - name: backup
                topics: ["ord*"]
                servers: ["nats://127.0.0.1:1"]
                stream: "BACKUP_{topic}"
                subject: "backup.{topic}"
                replicas: 1
                lag_warning: 1s
            """
        let harness = try await MirrorHarness.start(extraMirrors: broken)
        do {
            try await run(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    private func run(_ harness: MirrorHarness) async throws {
        let client = try await harness.client()
        try await client.createTopic("orders")
        await client.close()
        try await harness.produce(0..<1000)
        _ = try await harness.waitUntilMirrored(1000)

        let listed = try cli(harness, ["mirror", "list", "--json"])
        #expect(listed.status == 0)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listed.out.utf8)) as? [[String: Any]])
        let central = try #require(entries.first { $0["name"] as? String == "central" })
        #expect(central["state"] as? String == "running" && central["position"] as? Int == 1000 && central["lag_records"] as? Int == 0)
        #expect(central["stream"] as? String == MirrorHarness.stream && central["subject"] as? String == MirrorHarness.subject)
        let backup = try #require(entries.first { $0["name"] as? String == "backup" })
        #expect(["disconnected", "connecting"].contains(backup["state"] as? String ?? ""))
        #expect(backup["position"] as? Int == 0)
        // The backup mirror cannot connect: it says why, and its lag passes the threshold.
        try await harness.daemon.waitForOutput(containing: "mirror lag passed its warning threshold")
        let table = try cli(harness, ["mirror", "list"])
        #expect(table.status == 0 && table.out.contains("NAME") && table.out.contains("central") && table.out.contains("backup"))
        let described = try cli(harness, ["mirror", "describe", "backup"])
        #expect(described.out.contains("resume point:") && described.out.contains("connecting to nats://127.0.0.1:1"), "\(described.out)")
        let status = try cli(harness, ["status"])
        #expect(status.out.contains("mirrors:     2"), "\(status.out)")

        // Paused: records keep arriving, nothing is published, the resume point holds.
        #expect(try cli(harness, ["mirror", "pause", "central"]).out == "paused central\n")
        try await waitForState("paused", of: "central", harness)
        try await harness.produce(1000..<1500)
        let paused = try await harness.mirrorStatus()
        #expect(paused.position == 1000 && paused.topicEnd == 1500 && paused.lagRecords == 500)
        #expect(try cli(harness, ["mirror", "resume", "central"]).status == 0)
        _ = try await harness.waitUntilMirrored(1500)
        try await harness.verifyStream(count: 1500)

        let unknown = try cli(harness, ["mirror", "pause", "nosuch"])
        #expect(unknown.status != 0 && unknown.err.contains("no mirror or source named nosuch"), "\(unknown.err)")
        let invalid = try cli(harness, ["mirror", "describe", "bad/name"])
        #expect(invalid.status == 64)

        // A reload that points the broken mirror at the cluster restarts it; it catches up.
        let fixed = harness.config.replacingOccurrences(of: "[\"nats://127.0.0.1:1\"]", with: "[\(harness.cluster.urls.map { "\"\($0)\"" }.joined(separator: ", "))]")
        try fixed.write(toFile: harness.directory.path + "/immuta.conf", atomically: true, encoding: .utf8)
        harness.daemon.signal(SIGHUP)
        try await harness.daemon.waitForOutput(containing: "configuration reloaded")
        try await waitForState("running", of: "backup", harness, position: 1500)
        try await harness.verifyReplicaCount(stream: "BACKUP_orders", messages: 1500)
    }

    private func waitForState(_ state: String, of name: String, _ harness: MirrorHarness, position: UInt64? = nil) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        let client = try await harness.client()
        defer { Task { await client.close() } }
        while ContinuousClock.now < deadline {
            if let link = try await client.listMirrors().first(where: { $0.name == name }), link.state == state,
                position.map({ link.position >= $0 }) ?? true
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw DaemonTestError("mirror \(name) did not reach state \(state)")
    }

    private func cli(_ harness: MirrorHarness, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestBinaries.path("immutactl"))
        process.arguments = ["--socket", harness.daemon.socketPath] + arguments
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
