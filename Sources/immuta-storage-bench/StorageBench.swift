import ArgumentParser
import Foundation
import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// The storage engine benchmark.
struct StorageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immuta-storage-bench",
        abstract: "Measure the Immuta storage engine: appends, checksum-verified reads, group commit, CRC32C.",
        discussion: """
            Every case runs --runs times and reports the median. Appends use durability `none` so they \
            measure the engine, and are compared with the page-cache write bandwidth (dd, measured in \
            the same run). Each case writes at most 256 MiB (32 MiB with --quick) and deletes its files \
            before the next case starts. docs/BENCHMARKS.md explains the cases and the targets.
            """)

    /// Groups of cases that `--only` can select.
    enum Group: String, ExpressibleByArgument, CaseIterable, Sendable {
        case baseline, append, read, fsync, crc
    }

    @Option(help: "Directory to write in. A fresh subdirectory is made there and removed afterwards (default: /tmp).")
    var dir: String?

    @Option(help: "Timed runs per case; the table shows the median (default: 5, or 3 with --quick).")
    var runs: Int?

    @Flag(help: "A short run: 32 MiB per case, 0.5 s per fsync case, 3 runs.")
    var quick = false

    @Flag(help: "Print the results as JSON on standard output (progress still goes to standard error).")
    var json = false

    @Option(help: "Run only these groups (repeatable): baseline, append, read, fsync, crc.")
    var only: [Group] = []

    @Option(help: "Run only the case with this name, or the cases whose name contains this text (repeatable).")
    var filter: [String] = []

    func validate() throws {
        if let runs, !(1...100).contains(runs) { throw ValidationError("--runs must be from 1 to 100") }
    }

    func run() async throws {
        let runs = self.runs ?? (quick ? 3 : 5)
        let plan = quick ? Plan.quick(runs: runs) : Plan.full(runs: runs)
        let groups = Set(only.isEmpty ? Group.allCases : only)
        let workspace = try Workspace(parent: dir, requiredBytes: plan.requiredFreeBytes)
        defer { workspace.removeAll() }
        let progress: (String) -> Void = { FileHandleStandardError.write($0 + "\n") }
        let loadBefore = loadAverage()

        let all = plannedCases(plan: plan, groups: groups, workspace: workspace, progress: progress)
        let names = Set(all.map(\.name))
        // A filter that names a case exactly selects that case alone ("append 100 B x1" is not
        // "append 100 B x1000"); any other text selects every case whose name contains it.
        let cases = all.filter { planned in
            filter.isEmpty || filter.contains { planned.name == $0 || (!names.contains($0) && planned.name.contains($0)) }
        }
        guard !cases.isEmpty || groups.contains(.baseline) && filter.isEmpty else {
            throw ValidationError("no case matches --only and --filter; the cases are: " + all.map(\.name).joined(separator: ", "))
        }

        var baseline: PageCacheBaseline?
        if groups.contains(.baseline) && filter.isEmpty || cases.contains(where: { $0.group == .append }) {
            baseline = try PageCacheBench.run(plan: plan, workspace: workspace, progress: progress)
        }
        var results: [CaseResult] = []
        for planned in cases { results.append(contentsOf: try await planned.run()) }
        for i in results.indices { results[i].judge(baseline: baseline) }

        let report = Report(
            command: CommandLine.arguments.joined(separator: " "), machine: Self.machine(directory: workspace.root),
            loadAverageBefore: loadBefore, loadAverageAfter: loadAverage(),
            directory: workspace.root, runs: runs, quick: quick, baseline: baseline, results: results)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table())
        }
    }

    /// One case to run, with the name the table will show.
    struct PlannedCase {
        var group: Group
        var name: String
        var run: () async throws -> [CaseResult]
    }

    /// Every case of the selected groups, in the order they run.
    private func plannedCases(
        plan: Plan, groups: Set<Group>, workspace: Workspace, progress: @escaping (String) -> Void
    ) -> [PlannedCase] {
        var cases: [PlannedCase] = []
        if groups.contains(.append) {
            for (api, sizes) in [(AppendBench.API.framed, recordSizes), (.payloads, [1024])] {
                for batch in batchSizes {
                    for size in sizes {
                        cases.append(
                            PlannedCase(group: .append, name: AppendBench.name(recordBytes: size, batchRecords: batch, api: api)) {
                                [try AppendBench.run(
                                    recordBytes: size, batchRecords: batch, api: api, plan: plan, workspace: workspace,
                                    progress: progress)]
                            })
                    }
                }
            }
        }
        if groups.contains(.append) {
            // What a segment roll costs: the same batches in the default 64 MiB segments.
            let size = 1024
            let batch = 1000
            let segmentBytes = Plan.rollSegmentBytes
            cases.append(
                PlannedCase(
                    group: .append,
                    name: AppendBench.name(recordBytes: size, batchRecords: batch, api: .framed, segmentBytes: segmentBytes)
                ) {
                    [try AppendBench.run(
                        recordBytes: size, batchRecords: batch, api: .framed, segmentBytes: segmentBytes, plan: plan,
                        workspace: workspace, progress: progress)]
                })
        }
        if groups.contains(.read) {
            for size in recordSizes {
                cases.append(
                    PlannedCase(group: .read, name: ReadBench.name(recordBytes: size)) {
                        [try ReadBench.run(recordBytes: size, plan: plan, workspace: workspace, progress: progress)]
                    })
            }
        }
        if groups.contains(.fsync) {
            for appenders in appenderCounts {
                cases.append(
                    PlannedCase(group: .fsync, name: GroupCommitBench.name(appenders: appenders)) {
                        [try await GroupCommitBench.run(appenders: appenders, plan: plan, workspace: workspace, progress: progress)]
                    })
            }
        }
        if groups.contains(.crc) {
            cases.append(PlannedCase(group: .crc, name: "crc32c") { try ChecksumBench.run(plan: plan, progress: progress) })
        }
        return cases
    }

    /// What the figures depend on: CPUs, CPU model, kernel, and the file system written to.
    static func machine(directory: String) -> Report.Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: names.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return Report.Machine(
            cpus: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), cpuModel: model, kernel: kernel,
            fileSystem: fileSystemName(directory), crc32cHardware: CRC32C.isHardwareAccelerated)
    }

    /// The type of the file system holding `path`, from the longest matching mount point in
    /// /proc/self/mounts.
    private static func fileSystemName(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return "unknown file system" }
        let real = String(cString: resolved)
        free(resolved)
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let inside = point == "/" || real == point || real.hasPrefix(point + "/")
            if inside, point.count >= (best?.point.count ?? -1) { best = (point, String(fields[2])) }
        }
        return best?.type ?? "unknown file system"
    }
}
