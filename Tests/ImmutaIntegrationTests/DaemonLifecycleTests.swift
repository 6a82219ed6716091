import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

@Suite(.timeLimit(.minutes(15))) struct DaemonLifecycleTests {
    @Test func servesAfterStartAndRemovesItsSocketOnSIGTERM() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        #expect(client.serverVersion.hasPrefix("immutad"))
        _ = try await client.ping()
        await client.close()
        let status = await daemon.stop()
        #expect(status == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        #expect(daemon.output.contains("stopped"))
    }

    @Test func refusesASecondDaemonOnTheSameDataDirectoryNamingThePid() async throws {
        let dir = TemporaryDirectory()
        let first = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let second = try await DaemonProcess.start(
            in: dir.path, arguments: ["--socket", dir.path + "/second.sock"], waitUntilReady: false)
        let status = await second.waitForExit()
        #expect(status != 0)
        #expect(second.output.contains("in use by immutad pid \(first.pid)"))
        // The first daemon is undisturbed.
        let client = try await ImmutaClient.connect(socketPath: first.socketPath)
        _ = try await client.ping()
        await client.close()
        await first.stop()
    }

    @Test func keepsTopicsAndRecordsAcrossARestart() async throws {
        let dir = TemporaryDirectory()
        var daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        var client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("orders", options: TopicOptions(durability: "fsync", segmentBytes: 4096))
        for i in 0..<40 {
            try await client.produce("orders", (0..<10).map { Array("order-\(i)-\($0)".utf8) })
        }
        await client.close()
        #expect(await daemon.stop() == 0)

        daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        let description = try await client.describeTopic("orders")
        #expect(description.nextOffset == 400)
        #expect(description.segments > 1)
        var offset: UInt64 = 0
        while offset < 400 {
            let fetched = try await client.fetch("orders", from: .offset(offset), maxRecords: 1000)
            for record in fetched.records {
                #expect(record.string == "order-\(record.offset / 10)-\(record.offset % 10)")
            }
            try #require(fetched.nextOffset > offset, "a fetch at \(offset) made no progress")
            offset = fetched.nextOffset
        }
        await client.close()
        await daemon.stop()
    }
}
