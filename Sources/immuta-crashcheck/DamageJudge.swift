import Foundation
import Immuta
import ImmutaDaemonTesting

/// Judges one damage: what verify says, whether immutad starts, what it reports, what it serves.
struct DamageJudge {
    let launcher: DaemonLauncher
    let fixture: CorruptFixture
    let report: RunReport

    private var name: String { CorruptScenario.name }

    func judge(_ damage: Damage, number: Int) async throws {
        let file = (damage.path as NSString).lastPathComponent
        // Refusals name the segment by either of its files (often the index), so match the stem.
        let segment = String(file.prefix { $0 != "." })
        let what = "damage \(number) (\(damage))"
        let verify = try await Immutactl.run(["verify", "--data-dir", launcher.dataDirectory])
        // verify names the segment by either of its files: an index cut at an entry boundary is
        // reported as data that follows the last indexed record, in the data file. Group offset
        // logs are checked too, but damage there may fall on bytes recovery would cut anyway.
        if !damage.target.isGroup {
            report.check(verify.status == 1 && verify.text.contains(segment), name, "\(what): immutactl verify did not report it:\n\(verify.text)")
        }
        var repaired = false
        var daemon: DaemonProcess
        switch try await launcher.start() {
        case .ready(let started): daemon = started
        case .refused(let output, _):
            report.count { $0.damagesRefusedAtStart += 1 }
            report.check(output.contains(segment), name, "\(what): immutad refused to start without naming segment \(segment):\n\(output.suffix(1500))")
            guard !damage.target.isGroup else {
                report.fail(name, "\(what): immutad refuses to start over a damaged group offset log, and no tool repairs one:\n\(output.suffix(800))")
                return
            }
            let repair = try await Immutactl.run(["repair", "--data-dir", launcher.dataDirectory, CorruptFixture.topic, "--yes"])
            report.check(repair.status == 0, name, "\(what): immutactl repair failed:\n\(repair.text)")
            report.count { $0.recordsDroppedByRecovery += Self.droppedCount(in: repair.text) }
            repaired = true
            guard case .ready(let started) = try await launcher.start() else {
                report.fail(name, "\(what): immutad still refuses to start after immutactl repair")
                return
            }
            daemon = started
        }
        try await checkServed(daemon, damage: damage, what: what, repaired: repaired)
        let status = await DaemonLauncher.stop(daemon)
        report.check(status == 0, name, "\(what): immutad did not stop cleanly (status \(status.map(String.init) ?? "none, killed"))")
    }

    /// Reads the topic and the groups back and compares them with the fixture.
    private func checkServed(_ daemon: DaemonProcess, damage: Damage, what: String, repaired: Bool) async throws {
        let client = try await ImmutaClient.connect(socketPath: launcher.socketPath)
        defer { Task { await client.close() } }
        let topic = CorruptFixture.topic
        let contents = try await withDeadline(.seconds(60), "reading \(topic)") { try await TopicReader.readAll(client, topic) }
        let bound = damage.target.isGroup ? UInt64.max : fixture.lossBound(forDamageAt: damage.firstAffectedOffset(payloadSizes: segmentSizes(damage.baseOffset)))
        var served = Set<UInt64>()
        for (offset, bytes) in contents.records {
            served.insert(offset)
            if bytes != fixture.ledger.payload(at: offset) {
                report.fail(name, "\(what): immutad served \(LedgerAudit.describe(bytes)) at offset \(offset), which was acknowledged with other bytes")
            }
        }
        let pristineEnd = UInt64(fixture.ledger.acknowledgedCount)
        let lost = (0..<min(bound, pristineEnd)).filter { !served.contains($0) }
        report.check(lost.isEmpty, name, "\(what): records before the damage (from offset \(bound)) are missing: \(lost.prefix(10))")
        for (offset, error) in contents.refused {
            report.check(offset >= bound, name, "\(what): offset \(offset), before the damage, is refused: \(error)")
        }
        report.count { $0.recordsChecked += contents.records.count; $0.recordsRefusedOnRead += contents.refused.count }
        if contents.logEnd < pristineEnd {
            let dropped = Self.droppedCount(in: daemon.output)
            report.count { $0.recordsDroppedByRecovery += dropped }
            report.check(repaired || daemon.output.contains("recovery repaired"), name,
                "\(what): the topic lost offsets \(contents.logEnd)..<\(pristineEnd) and immutad's log does not report it:\n\(daemon.output.suffix(1500))")
        }
        try await checkGroups(client, daemon: daemon, damage: damage, what: what, end: contents.logEnd, repaired: repaired)
        report.check(daemon.isRunning, name, "\(what): immutad died while serving the damaged data:\n\(daemon.output.suffix(1500))")
    }

    private func checkGroups(_ client: ImmutaClient, daemon: DaemonProcess, damage: Damage, what: String, end: UInt64, repaired: Bool) async throws {
        let topic = CorruptFixture.topic
        let manual = try await client.committedOffset(topic, group: CorruptFixture.manualGroup)
        let managed = try await client.committedOffset(topic, group: CorruptFixture.managedGroup)
        // A damaged offset log may fall back to an earlier commit, never to a value never committed;
        // when the topic lost its tail, a commit past the new end is clamped to it (by immutad at
        // start, which says so, or by a repair).
        let clamped = manual == end && fixture.manualCommits.last! > end
        report.check(fixture.manualCommits.contains(manual) || clamped, name,
            "\(what): group manual's committed offset is \(manual), never committed (commits: \(fixture.manualCommits))")
        if clamped && !repaired {
            report.check(daemon.output.contains("past the topic's recovered end"), name,
                "\(what): group manual was clamped to \(end) and immutad's log does not say so:\n\(daemon.output.suffix(1500))")
        }
        report.check(managed <= fixture.managedCommitted, name,
            "\(what): group managed's committed offset is \(managed), past its last commit \(fixture.managedCommitted)")
        let lostCommit = manual != fixture.manualCommits.last! && damage.target.isGroup
            || managed != fixture.managedCommitted && damage.target.isGroup
        if lostCommit {
            report.check(daemon.output.contains("groups/\(topic)/"), name,
                "\(what): a group's committed offset went back (manual \(manual) of \(fixture.manualCommits.last!), managed \(managed) of \(fixture.managedCommitted)) and immutad's log does not say so")
        }
    }

    /// The payload sizes of the records of the segment starting at `base`.
    private func segmentSizes(_ base: UInt64) -> [Int] {
        var sizes: [Int] = []
        var offset = base
        while let payload = fixture.ledger.payload(at: offset) {
            sizes.append(payload.count)
            offset += 1
        }
        return sizes
    }

    /// The records recovery or repair says it dropped ("dropped N index entries").
    static func droppedCount(in text: String) -> Int {
        text.components(separatedBy: "dropped ").dropFirst().reduce(0) { total, part in
            total + (part.hasPrefix("0") || !part.contains(" index entries") ? 0 : Int(part.prefix { $0.isNumber }) ?? 0)
        }
    }
}
