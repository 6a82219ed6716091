import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport

/// Scenario `disk-full`: immutad on a 4 MiB tmpfs that also holds a filler file. Produce until
/// the disk is full; the failing produce must get a clear error while the daemon stays up and
/// serves everything acknowledged; then delete the filler, and producing must resume without a
/// restart, at the offset right after the last acknowledged record.
struct DiskFullScenario {
    let directory: String
    let seed: UInt64
    let report: RunReport

    static let name = "disk-full"
    static let topic = "full"

    func run() async throws -> (ScenarioOutcome, String) {
        let mountPoint = directory + "/mnt"
        let result = try await TmpfsMount.with(at: mountPoint, sizeBytes: 4 << 20) {
            try await runMounted(mountPoint)
        }
        switch result {
        case .ran: return (.passed, "")
        case .refused(let reason):
            print("skipped: mount refused (\(reason))")
            return (.skipped, "mount refused (\(reason))")
        }
    }

    private func runMounted(_ mountPoint: String) async throws {
        // Written before the daemon starts, so deleting it later frees room the daemon did not have.
        let filler = mountPoint + "/filler"
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: filler))
        let launcher = try DaemonLauncher(directory: mountPoint)
        guard case .ready(let daemon) = try await launcher.start() else { throw CheckerError("immutad did not start on the tmpfs") }
        defer { if daemon.isRunning { daemon.signal(SIGKILL); DaemonGuard.track(pid: 0) } }
        let client = try await ImmutaClient.connect(socketPath: launcher.socketPath)
        _ = try await client.createTopic(Self.topic, options: TopicOptions(durability: "fsync", segmentBytes: 256 << 10))
        let ledger = TopicLedger(topic: Self.topic)
        var producer = DiskFiller(client: client, ledger: ledger, random: SeededGenerator(seed: seed, stream: 4))

        let firstError = try await producer.fillUntilRefused(limit: .seconds(60))
        try checkRefusal(firstError, daemon: daemon, round: "first")
        try await checkEverythingServed(client, ledger, when: "with the disk full")

        try FileManager.default.removeItem(atPath: filler)
        let expected = producer.expectedNext
        let resumed = try await producer.produceOnce()
        switch resumed {
        case .success(let first):
            report.check(first == expected, Self.name,
                "after space was freed the next batch got offset \(first), expected \(expected) (a gap)\n  reproduce: immuta-crashcheck disk-full --seed \(seed)")
        case .failure(let error):
            report.fail(Self.name, "producing did not resume after space was freed, without a restart: \(error)\n  reproduce: immuta-crashcheck disk-full --seed \(seed)")
        }
        // Fill it again: the second refusal must be as clean as the first.
        if case .success = resumed {
            let second = try await producer.fillUntilRefused(limit: .seconds(60))
            try checkRefusal(second, daemon: daemon, round: "second")
        }
        try await checkEverythingServed(client, ledger, when: "after freeing space")
        await client.close()
        let status = await DaemonLauncher.stop(daemon)
        report.check(status == 0, Self.name, "immutad did not stop cleanly after the disk filled (status \(status.map(String.init) ?? "none, killed")):\n\(daemon.output.suffix(1500))")
        try await checkAfterRestart(launcher, ledger)
    }

    private func checkRefusal(_ error: ImmutaError, daemon: DaemonProcess, round: String) throws {
        report.count { $0.diskFullRefusals += 1 }
        report.check(error.code == .storageFailure && error.message.contains("No space left"), Self.name,
            "\(round) full disk: the failing produce got \(error), not a storage_failure naming the full disk")
        guard daemon.isRunning else { throw CheckerError("immutad died when its disk filled:\n\(daemon.output.suffix(2000))") }
    }

    /// Every acknowledged record is served, with its bytes, and nothing else.
    private func checkEverythingServed(_ client: ImmutaClient, _ ledger: TopicLedger, when: String) async throws {
        let contents = try await withDeadline(.seconds(60), "reading \(Self.topic)") { try await TopicReader.readAll(client, Self.topic) }
        let result = LedgerAudit.audit(contents, against: ledger)
        for problem in result.problems { report.fail(Self.name, "\(when): \(problem)") }
        for (offset, error) in contents.refused { report.fail(Self.name, "\(when): offset \(offset) refused: \(error)") }
        report.check(result.foundPending == 0, Self.name, "\(when): a refused batch was written after all")
        report.count { $0.recordsChecked += result.checked }
    }

    /// A clean restart on the same (now roomier) filesystem keeps everything.
    private func checkAfterRestart(_ launcher: DaemonLauncher, _ ledger: TopicLedger) async throws {
        guard case .ready(let daemon) = try await launcher.start() else {
            report.fail(Self.name, "immutad did not start again after the disk-full episode")
            return
        }
        let client = try await ImmutaClient.connect(socketPath: launcher.socketPath)
        try await checkEverythingServed(client, ledger, when: "after a restart")
        await client.close()
        _ = await DaemonLauncher.stop(daemon)
    }
}
