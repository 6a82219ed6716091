import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Synchronization
import Testing

/// One topic on a stalled disk stalls only its own producers: requests run off the event
/// loops, each connection on its own worker.
@Suite(.timeLimit(.minutes(15))) struct StalledDiskTests {
    @Test func anotherTopicsProducersAreUnaffectedByAStalledTopic() async throws {
        let dir = TemporaryDirectory()
        // The first write to the slow topic's segments stalls for a minute, and its other producers
        // queue behind it on the topic's writer (its topic.json is not affected). The stall outlasts
        // the measurement however slowly a loaded runner gets through it (with 10 s, a busy suite
        // ran past it), and the test does not wait for it: the daemon is killed at the end.
        let stall = 60_000
        let daemon = try await DaemonProcess.start(
            in: dir.path, environment: ["IMMUTA_TEST_IO_FAULTS": "write:/topics/slow/000:delay=\(stall)@1x1"])
        let admin = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        // The fast topic does not fsync: this measures the daemon, not other tests' use of the disk.
        try await admin.createTopic("fast", options: TopicOptions(durability: "none"))
        try await admin.createTopic("slow", options: TopicOptions(durability: "fsync"))
        // Producers on the slow topic, one connection each, enough to cover every event loop.
        let finished = Counter()
        var stalled: [Task<Void, Never>] = []
        var slowClients: [ImmutaClient] = []
        for _ in 0..<3 {
            let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            slowClients.append(client)
            stalled.append(Task {
                _ = try? await client.produce("slow", [Array("stuck".utf8)], ack: .fsync)
                finished.increment()
            })
        }
        // Measure once the daemon reports an append stuck in the stalled write.
        let stuck = try await eventually { (try await daemonStats(daemon)["longest_append_ms"] ?? 0) > 0 }
        #expect(stuck)
        let fast = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        var latencies: [Duration] = []
        let clock = ContinuousClock()
        for i in 0..<50 {
            let start = clock.now
            try await fast.produce("fast", [Array("fast \(i)".utf8)], ack: .write)
            latencies.append(clock.now - start)
        }
        #expect(finished.value == 0, "the slow producers were stuck throughout")
        latencies.sort()
        // The bounds leave room for the test process itself being starved by the suite's other
        // tests (a 100 ms median failed now and then on a loaded 2-core runner); what matters is
        // that the fast producers ran inside the 10 s stall, not behind it.
        #expect(latencies[25] < TestBudget.time(.seconds(1)), "median \(latencies[25])")
        #expect(latencies[49] < TestBudget.time(.seconds(5)), "slowest \(latencies[49])")
        await daemon.kill9()
        for task in stalled { await task.value }
        for client in slowClients { await client.close() }
        await fast.close()
        await admin.close()
    }
}

/// A count shared with tasks.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}
