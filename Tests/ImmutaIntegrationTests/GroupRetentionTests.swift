import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// Retention deleting records a group has not consumed yet: the group moves past the gap in one
/// step and delivers from the earliest retained record.
@Suite(.timeLimit(.minutes(15))) struct GroupRetentionTests {
    @Test func groupSkipsRecordsRetentionDeletedBeforeItConsumedThem() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(
            in: dir.path, config: "retention_check_interval: 50ms\nmin_segment_bytes: 4KiB\n")
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic(
            "short", options: TopicOptions(durability: "none", segmentBytes: 4096, retentionBytes: 16 << 10))
        // The group exists before the records do, at offset 0.
        #expect(try await client.committedOffset("short", group: "late", creatingAt: .earliest) == 0)
        let payload = [UInt8](repeating: 0x42, count: 200)
        for _ in 0..<50 { try await client.produce("short", Array(repeating: payload, count: 10), ack: .write) }
        // Wait for retention to run (it has no event to wait on).
        var earliest: UInt64 = 0
        for _ in 0..<400 where earliest == 0 {
            earliest = try await client.describeTopic("short").earliestOffset
            if earliest == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(earliest > 0, "retention never deleted a segment")

        let consumer = try await client.joinGroup("short", group: "late", stopWhenIdle: true)
        var offsets: [UInt64] = []
        for try await message in consumer {
            offsets.append(message.record.offset)
            message.ack()
        }
        try await consumer.leave()
        let end = try await client.describeTopic("short")
        #expect(offsets.first.map { $0 >= earliest } == true)
        #expect(offsets == Array(offsets.first!..<end.nextOffset))
        let group = try await client.describeGroup("short", group: "late")
        #expect(group.committedOffset == end.nextOffset)
        #expect(group.lag == 0)
        await client.close()
        await daemon.stop()
    }
}
