import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import Testing

/// An ack whose commit the group's offset log refuses changes nothing: the member is told, the
/// committed offset stays, and the records are delivered again.
@Suite(.timeLimit(.minutes(15))) struct GroupAckFaultTests {
    /// For the Nth commit after the group's creation (its data write, or its index write, fails
    /// once), acking record by record: the acks before it succeed, that ack fails, the group's
    /// committed offset stays below the record, and once the member is gone every record from
    /// there on goes to the next member (as a redelivery), whose acks commit the end.
    @Test func anAckWhoseCommitFailsLeavesTheRecordsUnacked() async throws {
        for file in ["log", "idx"] {
            for failing in 1...4 {
                let what = "commit \(failing) failing its .\(file) write"
                let dir = TemporaryDirectory()
                let fault = "write:/groups/events/g/offsets/00000000000000000000.\(file):errno=5@\(failing)x1"
                let daemon = try await DaemonProcess.start(in: dir.path, environment: ["IMMUTA_TEST_IO_FAULTS": fault])
                let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
                try await client.createTopic("events", options: TopicOptions(durability: "none"))
                try await GroupTesting.produce(client, "events", (0..<8).map { "e-\($0)" })

                let first = try await ImmutaClient.connect(socketPath: daemon.socketPath)
                let consumer = try await first.joinGroup("events", group: "g", from: .earliest)
                var messages = consumer.makeAsyncIterator()
                var refused: UInt64?
                for expected in UInt64(0)..<8 {
                    guard let message = try await messages.next() else { break }
                    #expect(message.record.offset == expected, "\(what)")
                    message.ack()
                    do {
                        try await consumer.flushAcks()
                    } catch let error as ImmutaError {
                        #expect(error.code == .storageFailure, "\(what): \(error)")
                        refused = expected
                        break
                    }
                }
                let failed = UInt64(failing - 1)
                #expect(refused == failed, "\(what): the ack of offset \(failed) should have failed, not \(String(describing: refused))")
                #expect(try await client.describeGroup("events", group: "g").committedOffset == failed, "\(what)")
                #expect(try await client.describeGroup("events", group: "g").inFlight == 8 - Int(failed), "\(what): the member still holds the record")
                await first.close()
                // The daemon lets go of the closed member's records on its own time: wait for that,
                // or the second member, which stops when idle, may find nothing to take yet.
                try await GroupTesting.eventually("\(what): the first member is gone") {
                    try await client.describeGroup("events", group: "g").members.isEmpty
                }

                let second = try await client.joinGroup("events", group: "g", stopWhenIdle: true)
                var redelivered: [UInt64] = []
                for try await message in second {
                    #expect(message.deliveryCount == 2, "\(what): offset \(message.record.offset)")
                    redelivered.append(message.record.offset)
                    message.ack()
                }
                try await second.flushAcks()
                #expect(redelivered.sorted() == Array(failed..<8), "\(what)")
                #expect(try await client.describeGroup("events", group: "g").committedOffset == 8, "\(what)")
                await client.close()
                let status = await daemon.stop()
                #expect(status == 0, "\(what): immutad exited \(status):\n\(daemon.output)")
            }
        }
    }
}
