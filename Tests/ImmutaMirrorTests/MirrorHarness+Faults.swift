import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

extension MirrorHarness {
    /// The node that leads the stream now, from any live node's `/jsz`.
    func streamLeader(_ stream: String = MirrorHarness.stream, timeout: Duration = .seconds(60)) async throws -> NatsCluster.Node {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for node in cluster.nodes {
                if let name = ReplicaState.leader(in: cluster.jsz(node) ?? "", stream: stream), let leader = cluster.nodes.first(where: { $0.name == name }) {
                    return leader
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DaemonTestError("no node reported a leader for stream \(stream) within \(timeout)")
    }

    /// Produces `0..<count` at a pace that leaves time for a fault, runs `fault` once a third is
    /// produced, then waits until everything is mirrored and checks the stream: every record
    /// once, in order, on every replica, with the resume point never ahead of what the stream holds.
    func runWithFault(count: Int, _ fault: @escaping @Sendable (MirrorHarness) async throws -> Void) async throws {
        let client = try await client()
        try await client.createTopic("orders")
        await client.close()
        let watch = ResumePointWatch(harness: self)
        let watching = Task { try await watch.run() }
        let third = count / 3
        try await produce(0..<third)
        async let faulted: Void = fault(self)
        try await produce(third..<count, batch: 200)
        try await faulted
        _ = try await waitUntilMirrored(UInt64(count), timeout: .seconds(300))
        watching.cancel()
        _ = try? await watching.value
        await watch.sample()
        #expect(watch.samples > 0, "no sample of the resume point could be taken: \(watch.lastFailure ?? "")")
        print("resume point checked against the stream \(watch.samples) times during the fault")
        try await verifyStream(count: count)
    }
}

/// Samples the mirror's resume point, then the stream's message count, over and over: the
/// resume point must never pass what the stream holds (it would skip unacknowledged records).
final class ResumePointWatch: @unchecked Sendable {
    let harness: MirrorHarness
    private(set) var samples = 0
    /// Why the last sample could not be taken (during a fault, the daemon or the stream may not answer).
    private(set) var lastFailure: String?
    private var stream: JetStreamTestClient?

    init(harness: MirrorHarness) { self.harness = harness }

    func run() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(200))
            await sample()
        }
    }

    /// Takes one sample, unless the daemon or the cluster cannot answer now.
    func sample() async {
        do {
            if stream == nil { stream = try JetStreamTestClient(urls: harness.cluster.urls) }
            let client = try await harness.client()
            let position = try await client.listMirrors().first { $0.name == "central" }?.position
            await client.close()
            guard let position, let state = try stream?.streamState(MirrorHarness.stream) else { return }
            samples += 1
            #expect(position <= state.messages, "resume point \(position) is past the \(state.messages) records the stream holds")
        } catch {
            lastFailure = "\(error)"
        }
    }
}

extension ReplicaState {
    static func leader(in json: String, stream: String) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let accounts = root["account_details"] as? [[String: Any]]
        else { return nil }
        for account in accounts {
            for detail in account["stream_detail"] as? [[String: Any]] ?? [] where detail["name"] as? String == stream {
                return (detail["cluster"] as? [String: Any])?["leader"] as? String
            }
        }
        return nil
    }
}
