import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A topic mirrored into a real 3-node JetStream cluster without faults: every record lands in
/// the stream once, in order, with its headers, and the mirror's figures say so.
@Suite(.timeLimit(.minutes(10)), .serialized) struct MirrorSteadyTests {
    @Test func everyRecordLandsOnceInOrderWithItsHeaders() async throws {
        let harness = try await MirrorHarness.start()
        do {
            let count = MirrorHarness.long ? 1_000_000 : 50_000
            let client = try await harness.client()
            try await client.createTopic("orders")
            await client.close()
            try await harness.produce(0..<count)
            let status = try await harness.waitUntilMirrored(UInt64(count), timeout: .seconds(MirrorHarness.long ? 600 : 180))
            #expect(status.state == "running" && status.lagRecords == 0 && status.topicEnd == UInt64(count))
            #expect(status.stream == MirrorHarness.stream && status.target == MirrorHarness.subject)
            #expect(status.records >= UInt64(count) && status.lastError.isEmpty, "\(status)")
            try await harness.verifyStream(count: count)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
