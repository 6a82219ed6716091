import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport

/// Scenario `kill`: load immutad with fsync producers and two kinds of group consumers, SIGKILL
/// it at a random moment, restart it, and audit topics and groups against what was acknowledged.
struct KillScenario {
    let directory: String
    let cycles: Int
    let seed: UInt64
    let report: RunReport

    static let topics = ["alpha", "beta"]
    static let name = "kill"

    func run() async throws {
        let launcher = try DaemonLauncher(directory: directory)
        var random = SeededGenerator(seed: seed, stream: 1)
        let ledgers = Self.topics.map(TopicLedger.init)
        let groups = ledgers.flatMap { ledger in
            [GroupLedger(topic: ledger.topic, group: "managed", managed: true),
             GroupLedger(topic: ledger.topic, group: "manual", managed: false)]
        }
        let audit = CycleAudit(ledgers: ledgers, groups: groups, report: report)
        // One idempotent producer per topic for the whole run: its batch in flight at a kill is
        // resent after the restart, and must land exactly once.
        let producers = ledgers.map { _ in ImmutaProducer(socketPath: launcher.socketPath, clientName: "crashcheck-idempotent", retryTimeout: .seconds(90)) }
        var sequences = ledgers.map { _ in 0 }
        var idempotent: [Task<Int, Never>] = []
        for cycle in 1...cycles {
            let daemon = try await startOrFail(launcher, after: "kill \(cycle - 1)")
            let client = try await withDeadline(.seconds(20), "connecting") {
                try await ImmutaClient.connect(socketPath: launcher.socketPath)
            }
            if cycle == 1 { try await createTopics(client) }
            // The idempotent producers finish the batch the kill interrupted before the audit.
            let interrupted = idempotent
            if !interrupted.isEmpty {
                sequences = try await withDeadline(.seconds(120), "idempotent producers resending after the restart") {
                    var next: [Int] = []
                    for task in interrupted { next.append(await task.value) }
                    return next
                }
            }
            try await audit.run(client, cycle: cycle)
            let stop = StopFlag()
            idempotent = zip(ledgers, producers).enumerated().map { index, pair in
                let (report, first, stream) = (report, sequences[index], SeededGenerator(seed: random.next()))
                return Task {
                    await Workers.produceIdempotently(pair.1, ledger: pair.0, first: first, random: stream, stop: stop, report: report)
                }
            }
            let load = startLoad(socketPath: launcher.socketPath, cycle: cycle, ledgers: ledgers, groups: groups, random: &random)
            // Some kills land right away, while clients connect and groups rejoin; most under load.
            let delay = random.chance(20) ? Int.random(in: 0...50, using: &random) : Int.random(in: 100...900, using: &random)
            try await Task.sleep(for: .milliseconds(delay))
            await DaemonLauncher.kill(daemon)
            stop.set()
            report.count { $0.kills += 1; $0.cycles += 1 }
            await client.close()
            await finish(load)
            // Now and then, also kill the next start in the middle of its recovery.
            if random.chance(15) {
                let early = try await launcher.startUnwaited()
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...60, using: &random)))
                await DaemonLauncher.kill(early)
                report.count { $0.kills += 1 }
            }
        }
        let daemon = try await startOrFail(launcher, after: "kill \(cycles)")
        let client = try await ImmutaClient.connect(socketPath: launcher.socketPath)
        let interrupted = idempotent
        _ = try await withDeadline(.seconds(120), "idempotent producers resending after the last restart") {
            for task in interrupted { _ = await task.value }
        }
        for producer in producers { await producer.close() }
        try await audit.run(client, cycle: cycles + 1)
        await client.close()
        let status = await DaemonLauncher.stop(daemon)
        report.check(status == 0, Self.name, "immutad did not stop cleanly after the last cycle (status \(status.map(String.init) ?? "none, killed"))")
    }

    private func startOrFail(_ launcher: DaemonLauncher, after: String) async throws -> DaemonProcess {
        switch try await launcher.start() {
        case .ready(let daemon): return daemon
        case .refused(let output, let status):
            throw CheckerError("immutad did not start after \(after) (status \(status.map(String.init) ?? "none")); its output:\n\(output.suffix(3000))")
        }
    }

    private func createTopics(_ client: ImmutaClient) async throws {
        for topic in Self.topics {
            _ = try await client.createTopic(topic, options: TopicOptions(durability: "fsync", segmentBytes: 64 << 10))
        }
    }

    /// Starts two producers per topic and both consumers, each on a connection of its own.
    private func startLoad(
        socketPath: String, cycle: Int, ledgers: [TopicLedger], groups: [GroupLedger], random: inout SeededGenerator
    ) -> [Task<Void, Never>] {
        var tasks: [Task<Void, Never>] = []
        let report = self.report
        for ledger in ledgers {
            for producer in ["p1", "p2"] {
                let stream = SeededGenerator(seed: random.next())
                tasks.append(Task {
                    await Self.withClient(socketPath) {
                        await Workers.produce($0, ledger: ledger, producer: "\(producer)c\(cycle)", random: stream, report: report)
                    }
                })
            }
        }
        for group in groups {
            let ledger = ledgers.first { $0.topic == group.topic }!
            tasks.append(Task {
                await Self.withClient(socketPath) { client in
                    if group.managed { await Workers.consumeManaged(client, topic: ledger, group: group, report: report) }
                    else { await Workers.consumeManually(client, topic: ledger, group: group, report: report) }
                }
            })
        }
        return tasks
    }

    private static func withClient(_ socketPath: String, _ body: (ImmutaClient) async -> Void) async {
        // Workers end with the kill (finish waits for that), rather than wait to reconnect.
        guard let client = try? await ImmutaClient.connect(socketPath: socketPath, reconnect: .disabled) else { return }
        await body(client)
        await client.close()
    }

    /// Waits for the workers to notice the kill; their requests fail as the connections close.
    private func finish(_ load: [Task<Void, Never>]) async {
        let finished: Void? = try? await withDeadline(.seconds(30), "workers ending after the kill") {
            for task in load { await task.value }
        }
        if finished == nil {
            for task in load { task.cancel() }
            report.fail(Self.name, "client workers did not end within 30 s of the kill")
        }
    }
}
