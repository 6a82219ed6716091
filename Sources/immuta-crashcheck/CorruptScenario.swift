import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport

/// Scenario `corrupt`: damage one file of a stopped daemon's data at a time (truncations and bit
/// flips in active and sealed segments and in group offset logs), then check that verify reports
/// it, that immutad starts (or refuses, naming the file, until `immutactl repair`), and that it
/// never serves a byte that differs from what was acknowledged.
struct CorruptScenario {
    let directory: String
    let damages: Int
    let seed: UInt64
    let report: RunReport

    static let name = "corrupt"

    func run() async throws {
        let launcher = try DaemonLauncher(directory: directory + "/live")
        let fixture = try await CorruptFixture.build(with: launcher, seed: seed)
        let pristine = directory + "/pristine"
        try Workspace.copyTree(launcher.dataDirectory, to: pristine)
        let judge = DamageJudge(launcher: launcher, fixture: fixture, report: report)
        var random = SeededGenerator(seed: seed, stream: 3)
        var injected = 0
        var attempts = 0
        while injected < damages && attempts < damages * 4 {
            attempts += 1
            // Every damage is judged on its own: start again from the pristine copy.
            try Workspace.copyTree(pristine, to: launcher.dataDirectory)
            let group = random.chance(50) ? CorruptFixture.manualGroup : CorruptFixture.managedGroup
            guard let damage = try Damage.random(in: launcher.dataDirectory, topic: CorruptFixture.topic, group: group, using: &random)
            else { continue }
            try damage.apply()
            injected += 1
            report.count { $0.damagesInjected += 1 }
            try await judge.judge(damage, number: injected)
        }
        // The pristine copy itself must verify clean, or every verdict above is suspect.
        let clean = try await Immutactl.run(["verify", "--data-dir", pristine])
        report.check(clean.status == 0, Self.name, "the undamaged fixture does not verify clean:\n\(clean.text)")
    }
}
