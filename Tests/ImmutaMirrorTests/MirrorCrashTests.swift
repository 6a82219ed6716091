import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// immutad killed with SIGKILL while it mirrors, then started again: it goes on from its resume
/// point (or from the stream's newest record, when that is further), and the stream ends with
/// every record once, in order.
@Suite(.timeLimit(.minutes(20)), .serialized) struct MirrorCrashTests {
    @Test func killingImmutadMidMirrorLosesAndRepeatsNothing() async throws {
        let harness = try await MirrorHarness.start()
        do {
            let kills = MirrorHarness.long ? 10 : 3
            let perRound = MirrorHarness.long ? 30_000 : 10_000
            let client = try await harness.client()
            try await client.createTopic("orders")
            await client.close()
            var positions: [UInt64] = []
            for round in 0..<kills {
                let (start, end) = (round * perRound, (round + 1) * perRound)
                // The round's records are produced while the mirror is paused, then it is resumed
                // and immutad killed once the first of them are acknowledged, the rest in flight.
                let client = try await harness.client()
                try await client.setMirrorPaused("central", true)
                try await harness.produce(start..<end, batch: 1000)
                try await client.setMirrorPaused("central", false)
                await client.close()
                let status = try await harness.waitForMirror { $0.position > UInt64(start) || $0.position >= UInt64(end) }
                positions.append(status.position)
                #expect(status.topicEnd == UInt64(end))
                await harness.daemon.kill9()
                try await harness.restartDaemon()
            }
            let total = kills * perRound
            _ = try await harness.waitUntilMirrored(UInt64(total))
            try await harness.verifyStream(count: total)
            // The kills did interrupt the mirror: records were still unacknowledged at some.
            let interrupted = positions.enumerated().filter { $0.element < UInt64(($0.offset + 1) * perRound) }.count
            #expect(interrupted > kills / 2, "most kills came after the mirror had caught up: \(positions)")
            print("resume points just before each kill: \(positions) (\(perRound) more records each round)")
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
