import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// A power loss can cut a topic's active segment back while the group's commits survive: the
/// group's committed offset then lies past the topic's recovered end.
@Suite(.timeLimit(.minutes(15))) struct GroupTailLossTests {
    /// Every payload is 5 bytes ("r-000"), so every record is 13 bytes in the data file.
    static let recordBytes = 8 + 5

    /// Produces 100 records and commits 100, stops immutad, cuts the topic's data file at one of
    /// several places (between records and inside one), and restarts: the committed offset is
    /// moved back to the recovered end, with a warning naming topic, group and both offsets; the
    /// move is persisted (the next restart says nothing); and the next 50 records, which reuse
    /// the lost offsets, all reach the group.
    @Test func aCommittedOffsetPastTheRecoveredEndIsClampedAndNewRecordsAreDelivered() async throws {
        let cuts = [0, 1, 37, 50, 99].flatMap { [$0 * Self.recordBytes, $0 * Self.recordBytes + 7] }
        for cut in cuts {
            let recovered = UInt64(cut / Self.recordBytes)
            let what = "cut at byte \(cut)"
            let dir = TemporaryDirectory()
            var daemon = try await DaemonProcess.start(in: dir.path)
            var client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            try await client.createTopic("orders")
            // One record per batch: recovery keeps whole batches, and each record is one here.
            try await GroupTesting.produce(client, "orders", (0..<100).map { String(format: "r-%03d", $0) }, batch: 1)
            _ = try await client.committedOffset("orders", group: "billing", creatingAt: .earliest)
            try await client.commit("orders", group: "billing", offset: 100)
            await client.close()
            #expect(await daemon.stop() == 0, "\(what)")

            let data = dir.path + "/data/topics/orders/00000000000000000000.log"
            #expect(truncate(data, off_t(cut)) == 0, "\(what): truncate \(data): errno \(errno)")

            daemon = try await DaemonProcess.start(in: dir.path)
            try await daemon.waitForOutput(containing: "group billing on topic orders: committed offset 100 is past the topic's recovered end \(recovered)")
            client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            #expect(try await client.describeTopic("orders").nextOffset == recovered, "\(what)")
            #expect(try await client.describeGroup("orders", group: "billing").committedOffset == recovered, "\(what)")
            // `group describe` says so too, until the next restart.
            let notes = try await client.groupRecoveryNotes("orders", group: "billing")
            #expect(notes == ["committed offset 100 was past the topic's recovered end at startup; moved back to the end"], "\(what)")
            let described = try await Cli.run(["group", "describe", "orders", "billing"], socket: daemon.socketPath)
            #expect(described.out.contains("recovery:") && described.out.contains("committed offset 100 was past"), "\(what): \(described.out)")
            await client.close()
            #expect(await daemon.stop() == 0, "\(what)")

            // The clamp was written to the offset log: no second warning.
            daemon = try await DaemonProcess.start(in: dir.path)
            client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            #expect(!daemon.output.contains("is past the topic's recovered end"), "\(what): the clamp was not persisted")
            #expect(try await client.groupRecoveryNotes("orders", group: "billing").isEmpty, "\(what)")
            #expect(try await client.describeGroup("orders", group: "billing").committedOffset == recovered, "\(what)")

            let fresh = (0..<50).map { String(format: "n-%03d", $0) }
            try await GroupTesting.produce(client, "orders", fresh, batch: 7)
            let consumer = try await client.joinGroup("orders", group: "billing", stopWhenIdle: true)
            var received: [ImmutaRecord] = []
            for try await message in consumer {
                received.append(message.record)
                message.ack()
            }
            try await consumer.flushAcks()
            #expect(received.map(\.offset) == Array(recovered..<(recovered + 50)), "\(what)")
            #expect(received.map(\.string) == fresh, "\(what)")
            try await GroupTesting.eventually("\(what): the group committed the new records") {
                try await client.describeGroup("orders", group: "billing").committedOffset == recovered + 50
            }
            await client.close()
            #expect(await daemon.stop() == 0, "\(what)")
        }
    }
}
