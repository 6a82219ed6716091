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
                try await harness.produce(round * perRound..<(round + 1) * perRound, batch: 1000)
                // Killed while records are still in flight to the cluster (the produce above
                // outpaces the mirror), at a different point each round.
                try await Task.sleep(for: .milliseconds(50 * round))
                let status = try await harness.mirrorStatus()
                positions.append(status.position)
                #expect(status.topicEnd == UInt64((round + 1) * perRound))
                await harness.daemon.kill9()
                try await harness.restartDaemon()
            }
            let total = kills * perRound
            _ = try await harness.waitUntilMirrored(UInt64(total))
            try await harness.verifyStream(count: total)
            // The kills did interrupt the mirror: records were still unacknowledged at some.
            let interrupted = positions.enumerated().filter { $0.element < UInt64(($0.offset + 1) * perRound) }.count
            #expect(interrupted > 0, "every kill came after the mirror had caught up: \(positions)")
            print("resume points just before each kill: \(positions) (\(perRound) more records each round)")
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
