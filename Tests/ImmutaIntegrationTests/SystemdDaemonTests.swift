import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// immutad under a simulated systemd: a test-owned NOTIFY_SOCKET, systemd-socket-activate, and
/// signals. Serialized: these tests time the daemon's watchdog and must not starve each other.
@Suite(.serialized, .timeLimit(.minutes(15))) struct SystemdDaemonTests {
    @Test(arguments: [false, true])
    func notifiesReadyStatusWatchdogAndStoppingInOrder(abstract: Bool) async throws {
        let dir = TemporaryDirectory()
        let notify = try NotifySocket(directory: dir.path, abstract: abstract)
        let daemon = try await DaemonProcess.start(
            in: dir.path, environment: ["NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "2000000"], waitUntilReady: false)
        let untilReady = try #require(await notify.receive(until: "READY=1"))
        // READY comes first, and only once the socket accepts: connect the moment it arrives.
        #expect(untilReady == ["READY=1"])
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        _ = try await client.ping()
        let untilWatchdog = try #require(await notify.receive(until: "WATCHDOG=1"))
        #expect(untilWatchdog.contains { $0.hasPrefix("STATUS=") && $0.contains("topics") && $0.contains("connections") })
        await client.close()
        daemon.signal(SIGTERM)
        let untilStopping = try #require(await notify.receive(until: "STOPPING=1"))
        #expect(untilStopping.last == "STOPPING=1")
        #expect(!untilStopping.contains("READY=1"))
        #expect(await daemon.waitForExit() == 0)
    }

    @Test func watchdogPingsStopWhileAWriterIsStalledAndResumeAfter() async throws {
        let dir = TemporaryDirectory()
        let notify = try NotifySocket(directory: dir.path, abstract: false)
        let daemon = try await DaemonProcess.start(
            in: dir.path,
            environment: ["NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "1000000", "IMMUTA_TEST_IO_FAULTS": "write:/topics/slow/:delay=3000@1x1"],
            waitUntilReady: false)
        _ = try #require(await notify.receive(until: "READY=1"))
        _ = try #require(await notify.receive(until: "WATCHDOG=1"))
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("slow", options: TopicOptions(durability: "none"))
        let started = ContinuousClock.now
        let produce = Task { try await client.produce("slow", [Array("stuck".utf8)], ack: .write) }
        // The daemon logs the failed check; no ping may come until the append ends, ~3 s after it
        // began. Pings sent before the check failed (the append runs off the event loops, so the
        // first second of the stall looks healthy) are already queued: drop them.
        try await daemon.waitForOutput(containing: "health check failed")
        notify.drain()
        let firstPing = try #require(await notify.receive(until: "WATCHDOG=1", timeout: .seconds(20)), "pings never resumed")
        let silence = ContinuousClock.now - started
        #expect(silence > .milliseconds(2800), "a ping came \(silence) after the stall began: \(firstPing)")
        // And they keep coming once the writer is free.
        #expect(await notify.receive(until: "WATCHDOG=1", timeout: .seconds(5)) != nil)
        _ = try await produce.value
        await client.close()
        await daemon.stop()
    }

    @Test func socketActivationServesAClientEndToEnd() async throws {
        let dir = TemporaryDirectory()
        let notify = try NotifySocket(directory: dir.path, abstract: false)
        let socketPath = dir.path + "/activated.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        process.arguments = [
            "-l", socketPath, "-E", "NOTIFY_SOCKET=\(notify.address)",
            TestBinaries.path("immutad"), "--data-dir", dir.path + "/data",
        ]
        // A file, not a pipe: nobody reads the log while the test runs, and a daemon writing into
        // a full pipe would block (under a sanitizer it writes much more).
        let logPath = dir.path + "/activate.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // systemd-socket-activate listens first and execs immutad on the first connection, which
        // waits in the backlog until the daemon has recovered and accepts.
        var client: ImmutaClient?
        for _ in 0..<500 where client == nil {
            if FileManager.default.fileExists(atPath: socketPath) {
                client = try? await ImmutaClient.connect(socketPath: socketPath)
            }
            if client == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        let connected = try #require(client)
        _ = try #require(await notify.receive(until: "READY=1"))
        try await connected.createTopic("activated")
        let produced = try await connected.produce("activated", (0..<10).map { Array("m\($0)".utf8) })
        #expect(produced.firstOffset == 0 && produced.count == 10)
        let fetched = try await connected.fetch("activated", from: .earliest)
        #expect(fetched.records.map(\.string) == (0..<10).map { "m\($0)" })
        await connected.close()
        process.interrupt()
        process.waitUntilExit()
        // systemd owns the socket path: immutad must not have removed it.
        #expect(FileManager.default.fileExists(atPath: socketPath))
    }

    @Test func sighupReloadsTopicSettingsFramedByReloadingAndReady() async throws {
        let dir = TemporaryDirectory()
        let notify = try NotifySocket(directory: dir.path, abstract: false)
        let config = dir.path + "/immuta.conf"
        try "topic_defaults:\n  durability: none\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try await DaemonProcess.start(
            in: dir.path, arguments: ["--config", config], environment: ["NOTIFY_SOCKET": notify.address], waitUntilReady: false)
        _ = try #require(await notify.receive(until: "READY=1"))
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("orders")
        #expect(try await client.describeTopic("orders").retentionMilliseconds == nil)

        try """
            topic_defaults:
              durability: interval:250
            topics:
              orders:
                retention_age: 7d
                durability: fsync
            """.write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let reload = try #require(await notify.receive(until: "READY=1"))
        let reloading = try #require(reload.firstIndex { $0.hasPrefix("RELOADING=1") })
        #expect(reload[reloading].contains("MONOTONIC_USEC="))
        let orders = try await client.describeTopic("orders")
        let week: Int64 = 7 * 86_400_000
        #expect(orders.retentionMilliseconds == week)
        #expect(orders.durability == "fsync")
        #expect(try await client.createTopic("later").durability == "interval:250")

        // A broken file is refused whole, and the daemon keeps running on the old settings.
        try "topic_defaults:\n  durability: sometimes\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        _ = try #require(await notify.receive(until: "READY=1"))
        try await daemon.waitForOutput(containing: "reload refused")
        #expect(try await client.createTopic("after-bad").durability == "interval:250")
        await client.close()
        await daemon.stop()
    }

    @Test func badConfigurationIsRefusedWithFileLineAndReason() async throws {
        let cases: [(String, String)] = [
            ("log_level: loud\n", ":1: log_level: must be one of"),
            ("data_dir: [unclosed\n", ":2: is not valid YAML"),
            ("colour: blue\n", ":1: colour: is not a setting"),
            ("max_connections: 0\n", ":1: max_connections: must be a whole number"),
            ("topic_defaults:\n  durability: sometimes\n", ":2: topic_defaults.durability: must be none, fsync or interval:MS"),
            ("topic_defaults:\n  segment_bytes: 12\n", ":2: topic_defaults.segment_bytes: must be a size"),
            ("topic_defaults:\n  retention_age: forever\n", ":2: topic_defaults.retention_age: must be a positive duration"),
            ("socket_mode: \"999\"\n", ":1: socket_mode: must be an octal mode"),
            ("topics:\n  ../etc:\n    durability: none\n", ":2: topics.../etc:"),
            ("- a list\n", ":1: must be a mapping"),
        ]
        for (text, expected) in cases {
            let dir = TemporaryDirectory()
            let config = dir.path + "/bad.conf"
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = try await DaemonProcess.start(in: dir.path, arguments: ["--config", config], waitUntilReady: false)
            #expect(await daemon.waitForExit() == 78)
            #expect(daemon.output.contains(config + expected), "for \(String(reflecting: text)): \(daemon.output)")
            // Nothing was touched: the data directory was never created.
            #expect(!FileManager.default.fileExists(atPath: daemon.dataDirectory))
        }
    }
}
