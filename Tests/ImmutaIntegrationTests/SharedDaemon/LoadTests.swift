import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import NIOPosix
import Testing

/// 1,000 connections at once — followers, group members, idle connections and clients that never
/// read — while a producer measures its throughput against a solo run, over repeated rounds.
@Suite(.serialized, .timeLimit(.minutes(15))) struct LoadTests {
    static let payloads = [[UInt8]](repeating: [UInt8](repeating: 0x61, count: 100), count: 100)

    /// Records/s of one producer keeping 8 batches of 100 × 100 B in flight (as `immutactl
    /// produce` does), ack write, for `duration`.
    static func producerRate(_ client: ImmutaClient, topic: String, for duration: Duration) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let records = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var records = 0
                    while clock.now - start < duration {
                        try await client.produce(topic, payloads, ack: .write)
                        records += payloads.count
                    }
                    return records
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        return Double(records) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    @Test func thousandMixedConnectionsLeaveProducersFastAndLeakNothing() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "max_connections: 2048\nmax_connections_per_uid: 2048\n")
        let admin = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "admin")
        for topic in ["bench", "trickle", "work"] {
            try await admin.createTopic(topic, options: TopicOptions(durability: "none"))
        }
        try await admin.produce("trickle", Array(Self.payloads.prefix(10)), ack: .write)
        // The producer gets an event loop of its own, so the test's 350 consuming clients slow
        // the daemon's side of its throughput, not its own client's.
        let producerLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let producer = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "producer", group: producerLoop)
        _ = try await Self.producerRate(producer, topic: "bench", for: .milliseconds(500))  // warm up
        let before = try BackPressureTests.readings(daemon)
        var peaks: [Int] = []
        var solo: [Double] = []
        var loaded: [Double] = []
        var roundFds: [Int] = []

        for round in 0..<5 {
            // Solo right before each loaded run: the machine's speed drifts between rounds.
            solo.append(try await Self.producerRate(producer, topic: "bench", for: .seconds(2)))
            var followers: [ImmutaClient] = []
            var tasks: [Task<Void, Never>] = []
            for i in 0..<250 {
                let client = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "follower-\(i)")
                let subscription = try await client.subscribe("trickle", from: .earliest)
                tasks.append(Task { _ = try? await subscription.reduce(0) { count, _ in count + 1 } })
                followers.append(client)
            }
            for i in 0..<100 {
                let client = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "member-\(i)")
                let consumer = try await client.joinGroup("work", group: "load", from: .earliest)
                tasks.append(
                    Task {
                        do { for try await message in consumer { message.ack() } } catch {}
                    })
                followers.append(client)
            }
            var raw: [RawSession] = []
            for _ in 0..<450 { raw.append(try await RawSession.connect(socket: daemon.socketPath)) }
            for _ in 0..<200 {
                // Never read: 100 pipelined fetches each (a few KiB of requests, so the send does
                // not block), asking for far more than the socket holds.
                let hoarder = try await RawSession.connect(socket: daemon.socketPath)
                var frames = ByteBuffer()
                for id in 1...100 {
                    Request.fetch(topic: "bench", start: .earliest, maxRecords: 100_000, maxBytes: 4 << 20, waitMilliseconds: 0)
                        .encodeFrame(requestID: UInt32(id), into: &frames)
                }
                try hoarder.connection.send(Array(frames.readableBytesView))
                raw.append(hoarder)
            }
            let trickle = Task {
                while !Task.isCancelled {
                    _ = try? await admin.produce("trickle", [Array("tick".utf8)], ack: .write)
                    _ = try? await admin.produce("work", [Array("job".utf8)], ack: .write)
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            let stats = try await daemonStats(daemon)
            #expect(stats["connections"]! >= 1002, "round \(round): \(stats["connections"]!) connections")
            loaded.append(try await Self.producerRate(producer, topic: "bench", for: .seconds(2)))
            peaks.append(try BackPressureTests.readings(daemon).rssKiB)
            trickle.cancel()
            _ = await trickle.value
            for task in tasks { task.cancel() }
            for client in followers { await client.close() }
            raw.removeAll()
            // Every connection a round opened is closed, and the descriptors come back to the
            // same count after every round (segment files the fetches opened stay cached).
            let settled = try await eventually(timeout: .seconds(30)) { try await daemonStats(daemon)["connections"] == 2 }
            #expect(settled, "round \(round): connections still open")
            // Segment files the fetches opened stay cached (up to max_open_segment_files): count the rest.
            roundFds.append(try daemon.openDescriptorCount() - Int(try await daemonStats(daemon)["open_segment_files"]!))
        }
        // The same after every round, give or take a descriptor the runtime keeps or drops.
        #expect(roundFds.max()! - roundFds.min()! <= 2, "descriptors after each round: \(roundFds)")
        let after = try BackPressureTests.readings(daemon)
        print(
            "load: solo \(solo.map { Int($0) }) records/s, loaded \(loaded.map { Int($0) }) records/s; RSS \(before.rssKiB) KiB before, peaks \(peaks) KiB, \(after.rssKiB) KiB after; fds \(before.fds) before, \(roundFds) after each round"
        )
        let ratios = zip(loaded, solo).map { $0 / $1 }
        #expect(TestBudget.sanitizer != nil || ratios.sorted()[2] >= 0.8, "loaded/solo throughput per round (median of 5 must be at least 0.8): \(ratios)")
        #expect(!TestBudget.measuresMemory || peaks.max()! < 256 * 1024, "peak RSS \(peaks.max()!) KiB")
        #expect(!TestBudget.measuresMemory || peaks[4] <= peaks[1] + peaks[1] / 5, "RSS grew over rounds: \(peaks)")
        await producer.close()
        try await producerLoop.shutdownGracefully()
        await admin.close()
        #expect(await daemon.stop() == 0)
    }
}
