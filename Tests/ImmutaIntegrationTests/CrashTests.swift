import ImmutaLocks
import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(15))) struct CrashTests {
    /// SIGKILL the daemon while producers wait for fsync acks, restart it, and check that every
    /// acknowledged record is there with its offset and bytes — over several rounds on the same data.
    @Test func killNineKeepsEveryFsyncAcknowledgedRecord() async throws {
        // On a disk: the kills must find acknowledged records on the device, not in a tmpfs.
        let dir = TemporaryDirectory(in: try DiskDirectory.base())
        let acknowledged = Acknowledged()
        var daemon = try await DaemonProcess.start(in: dir.path)
        let setup = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await setup.createTopic("ledger", options: TopicOptions(durability: "fsync", segmentBytes: 64 << 10))
        await setup.close()

        for round in 0..<4 {
            let socket = daemon.socketPath
            let producers = (0..<3).map { producer in
                Task {
                    guard let client = try? await ImmutaClient.connect(socketPath: socket) else { return 0 }
                    var count = 0
                    for batch in 0..<100_000 {
                        let payloads = (0..<(1 + batch % 5)).map { i in
                            Array("r\(round)-p\(producer)-b\(batch)-\(i)-".utf8) + [UInt8](repeating: UInt8(batch % 251), count: batch % 300)
                        }
                        guard let result = try? await client.produce("ledger", payloads, ack: .fsync) else { break }
                        acknowledged.records.withLock { acked in
                            for (i, payload) in payloads.enumerated() { acked[result.firstOffset + UInt64(i)] = payload }
                        }
                        count += 1
                    }
                    return count
                }
            }
            // Let each round make progress before the crash: wait until enough acks arrived.
            let target = acknowledged.records.withLock { $0.count } + 200 + round * 50
            let deadline = Deadline("for round \(round)'s producers to have \(target) records acknowledged")
            while acknowledged.records.withLock({ $0.count }) < target {
                try deadline.check("\(acknowledged.records.withLock { $0.count }) so far; daemon output:\n\(daemon.output)")
                try await Task.sleep(for: .milliseconds(5))
            }
            await daemon.kill9()
            for producer in producers { _ = await producer.value }

            daemon = try await DaemonProcess.start(in: dir.path)
            let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            let expected = acknowledged.records.withLock { $0 }
            var offset: UInt64 = 0
            var found: [UInt64: [UInt8]] = [:]
            let end = try await client.describeTopic("ledger").nextOffset
            while offset < end {
                let fetched = try await client.fetch("ledger", from: .offset(offset), maxRecords: 10_000, maxBytes: 4 << 20)
                for record in fetched.records { found[record.offset] = record.bytes }
                try #require(fetched.nextOffset > offset, "round \(round): a fetch at \(offset) below the end \(end) made no progress")
                offset = fetched.nextOffset
            }
            for (offset, payload) in expected {
                #expect(found[offset] == payload, "round \(round): acknowledged offset \(offset) lost or changed")
            }
            await client.close()
        }
        await daemon.stop()
    }
}

/// The records producers were told are durable, by offset.
final class Acknowledged: Sendable {
    let records = Locked<[UInt64: [UInt8]]>([:])
}
