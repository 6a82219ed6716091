import ImmutaLocks
import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Synchronization
import Testing

/// Offsets the members were given and acked (added before the ack is sent, so a superset of
/// the acks that reached the daemon).
final class AckedOffsets: Sendable {
    let offsets = Locked<Set<UInt64>>([])

    func insert(_ offset: UInt64) { _ = offsets.withLock { $0.insert(offset) } }

    /// The offsets below `end` (from `start`) that were never acked.
    func missing(from start: UInt64, below end: UInt64) -> [UInt64] {
        offsets.withLock { acked in (start..<max(start, end)).filter { !acked.contains($0) } }
    }
}

/// The daemon killed with SIGKILL and restarted while a producer produces and members consume:
/// committed offsets never move back and never pass a record nobody acked.
@Suite(.timeLimit(.minutes(15))) struct GroupCrashTests {
    @Test func committedOffsetsSurviveRepeatedKillsUnderLoad() async throws {
        // On a disk: the kills must find acknowledged records on the device, not in a tmpfs.
        let dir = TemporaryDirectory(in: try DiskDirectory.base())
        var daemon = try await DaemonProcess.start(in: dir.path)
        let setup = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await setup.createTopic("stream", options: TopicOptions(durability: "none"))
        #expect(try await setup.committedOffset("stream", group: "crashy", creatingAt: .earliest) == 0)
        await setup.close()

        let acked = AckedOffsets()
        var highest: UInt64 = 0  // the highest committed offset seen so far
        var checked: UInt64 = 0  // every offset below this was acked
        let rounds = 4
        for round in 0...rounds {
            let socket = daemon.socketPath
            let producer = Task {
                let client = try await ImmutaClient.connect(socketPath: socket, clientName: "producer")
                for batch in 0..<Int.max {
                    if Task.isCancelled { break }
                    let payloads = (0..<20).map { Array("r\(round)-b\(batch)-\($0)".utf8) }
                    guard (try? await client.produce("stream", payloads, ack: .write)) != nil else { break }
                }
                await client.close()
            }
            let members = (0..<2).map { member in
                Task {
                    // They end with the kill (awaited below before the restart), not reconnect.
                    let client = try await ImmutaClient.connect(
                        socketPath: socket, clientName: "member-\(member)", reconnect: .disabled)
                    let consumer = try await client.joinGroup("stream", group: "crashy")
                    for try await message in consumer {
                        acked.insert(message.record.offset)
                        message.ack()
                    }
                }
            }
            let observer = try await ImmutaClient.connect(socketPath: socket, clientName: "observer")

            // After a restart: the committed offset is where it was or beyond, and only over acks.
            let recovered = try await observer.describeGroup("stream", group: "crashy")
            #expect(recovered.committedOffset >= highest, "round \(round): committed went back from \(highest) to \(recovered.committedOffset)")
            #expect(recovered.committedOffset <= recovered.nextOffset)

            // Watch the committed offset while the load runs (no event tells of a commit: poll).
            // The last round then stops producing and waits for the members to catch up.
            let target = highest + 20_000
            var draining = false
            let deadline = Deadline("for round \(round)'s committed offset to pass \(target) (and, last, to catch up)", timeout: .seconds(180))
            while true {
                try deadline.check("committed \(highest), draining \(draining)")
                let description = try await observer.describeGroup("stream", group: "crashy")
                let committed = description.committedOffset
                #expect(committed >= highest, "round \(round): committed went back from \(highest) to \(committed)")
                let missing = acked.missing(from: checked, below: committed)
                #expect(missing.isEmpty, "round \(round): committed \(committed) passes offsets never acked: \(missing.prefix(10))")
                #expect(description.deadLettered == 0)
                highest = max(highest, committed)
                checked = max(checked, committed)
                if draining {
                    if committed == description.nextOffset { break }
                } else if committed >= target {
                    if round < rounds { break }
                    producer.cancel()
                    _ = await producer.result
                    draining = true
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            await observer.close()
            if round < rounds {
                await daemon.kill9()
                _ = await producer.result
                for member in members { _ = await member.result }
                daemon = try await DaemonProcess.start(in: dir.path)
            } else {
                for member in members { member.cancel() }
            }
        }

        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        let final = try await client.describeGroup("stream", group: "crashy")
        #expect(final.committedOffset == final.nextOffset)
        #expect(acked.missing(from: 0, below: final.committedOffset).isEmpty)
        #expect(final.committedOffset > UInt64(rounds * 20_000))
        await client.close()
        #expect(await daemon.stop() == 0)
    }
}
