import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// A client that never reads costs the daemon a bounded amount of memory and descriptors.
@Suite(.serialized, .timeLimit(.minutes(15))) struct BackPressureTests {
    static func readings(_ daemon: DaemonProcess) throws -> (rssKiB: Int, fds: Int) {
        // Both throw when /proc cannot be read: a bound checked against nothing proves nothing.
        (try daemon.residentKilobytes(), try daemon.openDescriptorCount())
    }

    @Test func pipelinedFetchesThatAreNeverReadCostBoundedMemoryAndDescriptors() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("small", options: TopicOptions(durability: "none"))
        try await client.createTopic("large", options: TopicOptions(durability: "none"))
        let small = [[UInt8]](repeating: [1, 2, 3, 4], count: 1000)
        for _ in 0..<131 { try await client.produce("small", small, ack: .write) }
        let large = [[UInt8]](repeating: [UInt8](repeating: 5, count: 100_000), count: 20)
        try await client.produce("large", large, ack: .write)
        let before = try Self.readings(daemon)

        // 256 fetches of 131,000 records and 1,500 fetches of 2 MB, none read. The daemon stops
        // reading a connection whose replies are not read, so these sends block: they run on
        // threads of their own, which end when the daemon stops.
        let hoarders = [
            try await RawSession.connect(socket: daemon.socketPath), try await RawSession.connect(socket: daemon.socketPath),
        ]
        let pipelines: [(Int, Request)] = [
            (256, .fetch(topic: "small", start: .earliest, maxRecords: 131_000, maxBytes: 16 << 20, waitMilliseconds: 0)),
            (1500, .fetch(topic: "large", start: .earliest, maxRecords: 20, maxBytes: 2_000_000, waitMilliseconds: 0)),
        ]
        for (hoarder, (count, request)) in zip(hoarders, pipelines) {
            let connection = hoarder.connection
            Thread.detachNewThread {
                var frames = ByteBuffer()
                for id in 0..<count { request.encodeFrame(requestID: UInt32(id + 1), into: &frames) }
                try? connection.send(Array(frames.readableBytesView))
            }
        }
        // The daemon keeps serving others meanwhile; once it has taken what it will take from the
        // hoarders (their sockets are full), memory and descriptors stay near the start.
        var peak = before
        for round in 0..<50 {
            let produced = try await client.produce("small", [Array("round \(round)".utf8)], ack: .write)
            let fetched = try await client.fetch("small", from: .offset(produced.firstOffset), maxRecords: 1)
            #expect(fetched.records.first?.string == "round \(round)")
            let now = try Self.readings(daemon)
            peak = (max(peak.rssKiB, now.rssKiB), max(peak.fds, now.fds))
        }
        #expect(!TestBudget.measuresMemory || peak.rssKiB - before.rssKiB < 96 * 1024, "RSS grew from \(before.rssKiB) KiB to \(peak.rssKiB) KiB")
        #expect(peak.fds - before.fds < 40, "descriptors grew from \(before.fds) to \(peak.fds)")
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    @Test func connectionHandlersDoNotOutliveTheirConnections() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("t", options: TopicOptions(durability: "none"))
        for i in 0..<300 {
            let session = try await RawSession.connect(socket: daemon.socketPath)
            if i % 3 == 0 {
                try session.send(.subscribe(topic: "t", start: .earliest, creditRecords: 10, creditBytes: 1000), id: 1)
                _ = try await session.response()
            }
        }
        let released = try await eventually {
            let stats = try await daemonStats(daemon)
            return stats["connection_handlers"] == 1 && stats["connections"] == 1
        }
        let left = try await daemonStats(daemon)
        #expect(released, "handlers: \(left)")
        await client.close()
        #expect(await daemon.stop() == 0)
    }
}

/// STATS over a raw session of its own, less that session's own connection.
func daemonStats(_ daemon: DaemonProcess) async throws -> [String: Int64] {
    let session = try await RawSession.connect(socket: daemon.socketPath)
    try session.send(.stats, id: 1)
    guard case .stats(let entries) = try await session.response() else { throw DaemonTestError("no STATS_RESULT") }
    var stats = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.value) })
    // This session itself.
    stats["connection_handlers"]? -= 1
    stats["connections"]? -= 1
    return stats
}
