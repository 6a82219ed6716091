import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Faults in the cluster and in immutad during a mirror. After each, the stream holds every local
/// record exactly once and in order (by offset and Msg-Id), on every replica. Each scenario gets
/// a fresh cluster: nats-server 2.9 can leave a restarted replica diverged for good.
/// `scripts/mirror-check.sh --long` runs them with more records and several rounds.
@Suite(.timeLimit(.minutes(20)), .serialized) struct MirrorFaultTests {
    static let count = MirrorHarness.long ? 300_000 : 30_000
    static let rounds = MirrorHarness.long ? 5 : 1

    @Test(arguments: 0..<rounds) func killingTheStreamLeaderLosesAndRepeatsNothing(round: Int) async throws {
        try await scenario { harness in
            let leader = try await harness.streamLeader()
            await harness.cluster.kill9(leader)
            try await Task.sleep(for: .seconds(3))
            try await harness.cluster.restart(leader)
        }
    }

    @Test(arguments: 0..<rounds) func killingAFollowerLosesAndRepeatsNothing(round: Int) async throws {
        try await scenario { harness in
            let leader = try await harness.streamLeader()
            let follower = try #require(harness.cluster.nodes.first { $0.name != leader.name })
            await harness.cluster.kill9(follower)
            try await Task.sleep(for: .seconds(3))
            try await harness.cluster.restart(follower)
        }
    }

    /// Two of three nodes down for 15 s: no quorum, so nothing is acknowledged; the mirror keeps
    /// resending from its resume point until the cluster is back.
    @Test(arguments: 0..<rounds) func fifteenSecondsWithoutQuorumLosesAndRepeatsNothing(round: Int) async throws {
        try await scenario { harness in
            let leader = try await harness.streamLeader()
            let follower = try #require(harness.cluster.nodes.first { $0.name != leader.name })
            await harness.cluster.kill9(leader)
            await harness.cluster.kill9(follower)
            try await Task.sleep(for: .seconds(15))
            try await harness.cluster.restartAll([leader, follower])
        }
    }

    private func scenario(_ fault: @escaping @Sendable (MirrorHarness) async throws -> Void) async throws {
        let harness = try await MirrorHarness.start()
        do {
            try await harness.runWithFault(count: Self.count, fault)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }
}
