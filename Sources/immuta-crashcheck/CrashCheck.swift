import ArgumentParser
import Foundation
import ImmutaDaemonTesting

/// Starts the real immutad, crashes it, damages its files and fills its disk, and checks that
/// nothing it acknowledged is lost or altered. See scripts/crashcheck.sh.
@main
struct CrashCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immuta-crashcheck",
        abstract: "Crash-loop, corruption and disk-full checks of a real immutad.",
        discussion: "Exits 1 when any check fails. immutad and immutactl are taken from the directory of this executable, or $IMMUTA_BIN_DIR.")

    @Argument(help: "Scenarios to run: kill, corrupt, disk-full (default: all).")
    var scenarios: [Scenario] = Scenario.allCases

    @Option(help: "Seed of the run (default: random; printed, so a failing run can be repeated).")
    var seed: UInt64?

    @Option(help: "Kill cycles (default 20, or 300 with --long).")
    var cycles: Int?

    @Option(help: "Damages injected by `corrupt` (default 16, or 400 with --long).")
    var damages: Int?

    @Flag(help: "The long run: 300 kill cycles and 400 damages.")
    var long = false

    @Option(help: "Disk-backed directory to work in (default: .build/crashcheck under the current directory).")
    var dir: String?

    @Flag(help: "Allow --dir on tmpfs (its fsync proves nothing about a disk).")
    var allowTmpfs = false

    @Flag(help: "Keep the working directories afterwards.")
    var keep = false

    func run() async throws {
        DaemonGuard.install()
        // Line by line even into a pipe or file, so a CI log shows how far a hung run got. (C's
        // `stdout` is a mutable global Swift 6 refuses to touch, so it is looked up instead.)
        if let symbol = dlsym(nil, "stdout") {
            setvbuf(symbol.load(as: UnsafeMutablePointer<FILE>.self), nil, _IOLBF, 0)
        }
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let workspace = try Workspace(base: dir ?? FileManager.default.currentDirectoryPath + "/.build/crashcheck", allowTmpfs: allowTmpfs)
        let settings = Settings(
            seed: seed, cycles: cycles ?? (long ? 300 : 20), damages: damages ?? (long ? 400 : 16), workspace: workspace)
        print("immuta-crashcheck: seed \(seed), scenarios \(scenarios.map(\.rawValue).joined(separator: " ")), immutad \(TestBinaries.path("immutad"))")
        print("  repeat with: immuta-crashcheck \(scenarios.map(\.rawValue).joined(separator: " ")) --seed \(seed) --cycles \(settings.cycles) --damages \(settings.damages)")
        let report = RunReport()
        let started = ContinuousClock.now
        for scenario in scenarios {
            let before = report.failureCount
            let scenarioStart = ContinuousClock.now
            print("== \(scenario.rawValue)")
            do {
                let outcome = try await scenario.run(settings, report: report)
                report.conclude(scenario.rawValue, report.failureCount > before ? .failed : outcome.0, outcome.1)
            } catch {
                report.fail(scenario.rawValue, "aborted: \(error)")
                report.conclude(scenario.rawValue, .failed, "aborted")
            }
            print("   \(scenario.rawValue) took \(Summary.seconds(ContinuousClock.now - scenarioStart))")
        }
        if !keep { try? FileManager.default.removeItem(atPath: workspace.base + "/run") }
        Summary.print(report, seed: seed, elapsed: ContinuousClock.now - started)
        if report.failureCount > 0 { throw ExitCode.failure }
    }
}

/// What every scenario needs from the command line.
struct Settings: Sendable {
    let seed: UInt64
    let cycles: Int
    let damages: Int
    let workspace: Workspace
}

enum Scenario: String, CaseIterable, ExpressibleByArgument, Sendable {
    case kill
    case corrupt
    case diskFull = "disk-full"

    /// Runs the scenario; returns its outcome unless a check failed, with a note for the summary.
    func run(_ settings: Settings, report: RunReport) async throws -> (ScenarioOutcome, String) {
        let directory = try settings.workspace.fresh("run/\(rawValue)")
        switch self {
        case .kill:
            try await KillScenario(directory: directory, cycles: settings.cycles, seed: settings.seed, report: report).run()
            return (.passed, "")
        case .corrupt:
            try await CorruptScenario(directory: directory, damages: settings.damages, seed: settings.seed, report: report).run()
            return (.passed, "")
        case .diskFull:
            return try await DiskFullScenario(directory: directory, seed: settings.seed, report: report).run()
        }
    }
}
