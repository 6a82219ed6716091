/// A goal a case is held to.
struct Target: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// Payload MiB/s at least `threshold`.
        case minimumMiBPerSecond = "min_mib_per_second"
        /// Payload MiB/s at least `threshold` percent of the page-cache baseline.
        case minimumPercentOfPageCache = "min_percent_of_page_cache"
    }

    var kind: Kind
    var threshold: Double
    /// Where the figure comes from, for the table.
    var source: String
    var met: Bool? = nil

    var label: String {
        switch kind {
        case .minimumMiBPerSecond: ">=\(Format.fixed(threshold, threshold < 100 ? 1 : 0)) MiB/s (\(source))"
        case .minimumPercentOfPageCache: ">=\(Format.fixed(threshold, 0))% of \(source)"
        }
    }

    /// The original Go library's published figures (its benchmark_test.go: one record per Append,
    /// MB/s computed as bytes / 2^20 / s, so these are MiB/s).
    enum Go {
        static let append100B = 18.3
        static let append1KiB = 162.0
        static let append4KiB = 422.0
        static let append64KiB = 922.0
        static let read1KiB = 800.0
    }

    static func goAppend(recordBytes: Int) -> Target? {
        switch recordBytes {
        case 100: Target(kind: .minimumMiBPerSecond, threshold: 5 * Go.append100B, source: "5x Go 18.3")
        case 1024: Target(kind: .minimumMiBPerSecond, threshold: 5 * Go.append1KiB, source: "5x Go 162")
        case 4096: Target(kind: .minimumMiBPerSecond, threshold: Go.append4KiB, source: "Go 422")
        case 65536: Target(kind: .minimumMiBPerSecond, threshold: Go.append64KiB, source: "Go 922")
        default: nil
        }
    }

    static func read(recordBytes: Int) -> Target? {
        switch recordBytes {
        case 1024: Target(kind: .minimumMiBPerSecond, threshold: Go.read1KiB, source: "Go 800")
        case 65536: Target(kind: .minimumMiBPerSecond, threshold: 2048, source: "2 GiB/s")
        default: nil
        }
    }

    static let pageCache = Target(kind: .minimumPercentOfPageCache, threshold: 70, source: "page cache")
}

/// The outcome of one case: medians over its runs, and how it compares with its targets.
struct CaseResult: Encodable, Sendable {
    /// `append`, `append-payloads`, `append-rolling`, `read`, `fsync` or `crc`.
    var group: String
    var name: String
    var recordBytes: Int?
    var batchRecords: Int?
    var appenders: Int?
    var runs: Int
    var recordsPerRun: Int?
    var medianRecordsPerSecond: Double?
    var medianMibPerSecond: Double
    var minMibPerSecond: Double
    var maxMibPerSecond: Double
    /// Payload MiB per CPU second of the thread doing the work (nil for multi-threaded cases).
    var medianCpuMibPerSecond: Double?
    var percentOfPageCache: Double?
    /// The same percentage in CPU terms: the case's MiB per CPU second over the pwrite loop's.
    var cpuPercentOfPageCache: Double?
    /// Appends: the same framed bytes written with one pwrite per batch and nothing else, median
    /// MiB/s (wall and CPU), and the case as a percentage of it.
    var rawWritesMibPerSecond: Double?
    var rawWritesCpuMibPerSecond: Double?
    var percentOfRawWrites: Double?
    /// Group commit: median fdatasync calls per run, records per flush round (one round is an
    /// fdatasync of the data file and one of the index), and the share of fdatasyncs saved
    /// compared with one round per record.
    var medianFdatasyncs: Double?
    var recordsPerFlush: Double?
    var fdatasyncsSavedPercent: Double?
    var gbPerSecond: Double?
    var note: String?
    var targets: [Target] = []

    /// nil when the case has no target.
    var met: Bool? {
        let verdicts = targets.compactMap(\.met)
        return verdicts.isEmpty ? nil : verdicts.allSatisfy { $0 }
    }

    init(group: String, name: String, samples: [Sample]) {
        self.group = group
        self.name = name
        runs = samples.count
        recordsPerRun = samples.first?.records
        let rates = samples.map(\.mibPerSecond)
        medianMibPerSecond = Statistics.median(rates)
        minMibPerSecond = rates.min() ?? 0
        maxMibPerSecond = rates.max() ?? 0
        let cpuRates = samples.compactMap(\.cpuMibPerSecond)
        if cpuRates.count == samples.count { medianCpuMibPerSecond = Statistics.median(cpuRates) }
        if samples.allSatisfy({ $0.records > 0 }) {
            medianRecordsPerSecond = Statistics.median(samples.map(\.recordsPerSecond))
        }
    }

    /// Fills in the percentage of the page-cache baseline and the verdict of every target.
    mutating func judge(baseline: PageCacheBaseline?) {
        if let baseline, baseline.reference > 0, group.hasPrefix("append") {
            percentOfPageCache = 100 * medianMibPerSecond / baseline.reference
            if let cpu = medianCpuMibPerSecond, baseline.pwriteCpuMibPerSecond > 0 {
                cpuPercentOfPageCache = 100 * cpu / baseline.pwriteCpuMibPerSecond
            }
        }
        if let raw = rawWritesMibPerSecond, raw > 0 { percentOfRawWrites = 100 * medianMibPerSecond / raw }
        for i in targets.indices {
            switch targets[i].kind {
            case .minimumMiBPerSecond: targets[i].met = medianMibPerSecond >= targets[i].threshold
            case .minimumPercentOfPageCache: targets[i].met = percentOfPageCache.map { $0 >= targets[i].threshold }
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case group, name, recordBytes, batchRecords, appenders, runs, recordsPerRun, medianRecordsPerSecond
        case medianMibPerSecond, minMibPerSecond, maxMibPerSecond, medianCpuMibPerSecond, percentOfPageCache
        case cpuPercentOfPageCache, rawWritesMibPerSecond, rawWritesCpuMibPerSecond, percentOfRawWrites, medianFdatasyncs
        case recordsPerFlush, fdatasyncsSavedPercent, gbPerSecond, note, targets, met
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group, forKey: .group)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(recordBytes, forKey: .recordBytes)
        try container.encodeIfPresent(batchRecords, forKey: .batchRecords)
        try container.encodeIfPresent(appenders, forKey: .appenders)
        try container.encode(runs, forKey: .runs)
        try container.encodeIfPresent(recordsPerRun, forKey: .recordsPerRun)
        try container.encodeIfPresent(medianRecordsPerSecond, forKey: .medianRecordsPerSecond)
        try container.encode(medianMibPerSecond, forKey: .medianMibPerSecond)
        try container.encode(minMibPerSecond, forKey: .minMibPerSecond)
        try container.encode(maxMibPerSecond, forKey: .maxMibPerSecond)
        try container.encodeIfPresent(medianCpuMibPerSecond, forKey: .medianCpuMibPerSecond)
        try container.encodeIfPresent(percentOfPageCache, forKey: .percentOfPageCache)
        try container.encodeIfPresent(cpuPercentOfPageCache, forKey: .cpuPercentOfPageCache)
        try container.encodeIfPresent(rawWritesMibPerSecond, forKey: .rawWritesMibPerSecond)
        try container.encodeIfPresent(rawWritesCpuMibPerSecond, forKey: .rawWritesCpuMibPerSecond)
        try container.encodeIfPresent(percentOfRawWrites, forKey: .percentOfRawWrites)
        try container.encodeIfPresent(medianFdatasyncs, forKey: .medianFdatasyncs)
        try container.encodeIfPresent(recordsPerFlush, forKey: .recordsPerFlush)
        try container.encodeIfPresent(fdatasyncsSavedPercent, forKey: .fdatasyncsSavedPercent)
        try container.encodeIfPresent(gbPerSecond, forKey: .gbPerSecond)
        try container.encodeIfPresent(note, forKey: .note)
        try container.encode(targets, forKey: .targets)
        try container.encodeIfPresent(met, forKey: .met)
    }
}

/// The page-cache write bandwidth the append figures are compared with.
struct PageCacheBaseline: Encodable, Sendable {
    /// `dd if=/dev/zero of=FILE bs=1M count=N`, median over the runs, in MiB/s (nil if dd failed).
    var ddMibPerSecond: Double?
    /// dd's payload MiB per CPU second (user and system), median.
    var ddCpuMibPerSecond: Double?
    /// dd's own summary line from the median run, as it printed it.
    var ddSummary: String?
    var ddError: String?
    /// The same volume written with a pwrite loop of 1 MiB blocks, median, in MiB/s.
    var pwriteMibPerSecond: Double
    var pwriteCpuMibPerSecond: Double
    var megabytesPerRun: Int
    var runs: Int

    /// The figure percentages are taken of: dd when it ran, else the pwrite loop.
    var reference: Double { ddMibPerSecond ?? pwriteMibPerSecond }
}

/// Everything one invocation measured.
struct Report: Encodable, Sendable {
    struct Machine: Encodable, Sendable {
        var cpus: Int
        var cpuModel: String
        var kernel: String
        var fileSystem: String
        var crc32cHardware: Bool
    }

    var command: String
    var machine: Machine
    /// /proc/loadavg before and after the run: other work on the machine skews wall-clock figures.
    var loadAverageBefore: String
    var loadAverageAfter: String
    var directory: String
    var runs: Int
    var quick: Bool
    var baseline: PageCacheBaseline?
    var results: [CaseResult]

    /// The human-readable table.
    func table() -> String {
        var lines: [String] = []
        lines.append("Immuta storage engine benchmark (median of \(runs) runs\(quick ? ", quick" : ""))")
        lines.append(
            "machine: \(machine.cpus) CPUs, \(machine.cpuModel), Linux \(machine.kernel), \(machine.fileSystem) at \(directory), "
                + "CRC32C \(machine.crc32cHardware ? "SSE4.2" : "portable")")
        lines.append("load average: \(loadAverageBefore) before, \(loadAverageAfter) after")
        if let baseline {
            var line = "page cache: "
            if let dd = baseline.ddMibPerSecond {
                line += "dd bs=1M count=\(baseline.megabytesPerRun) \(Format.fixed(dd)) MiB/s"
                if let summary = baseline.ddSummary { line += " (dd: \(summary))" }
            } else {
                line += "dd failed (\(baseline.ddError ?? "unknown error"))"
            }
            line += "; pwrite loop of 1 MiB blocks \(Format.fixed(baseline.pwriteMibPerSecond)) MiB/s"
            lines.append(line)
            lines.append(
                "page cache per CPU second: dd \(baseline.ddCpuMibPerSecond.map { Format.fixed($0) } ?? "-") MiB, "
                    + "pwrite loop \(Format.fixed(baseline.pwriteCpuMibPerSecond)) MiB")
        }
        lines.append(
            "MiB/s counts payload bytes (size prefixes and index entries excluded); MiB = 2^20 bytes. "
                + "raw = the same bytes written with one pwrite per batch and nothing else (the ceiling for that write size); "
                + "cpu MiB/s = per second of the working thread's CPU time.")
        lines.append("")
        let header = [
            Format.pad("case", 34), Format.pad("records/s", 12, right: true), Format.pad("MiB/s", 10, right: true),
            Format.pad("% dd", 6, right: true), Format.pad("raw MiB/s", 10, right: true), Format.pad("% raw", 6, right: true),
            Format.pad("cpu MiB/s", 10, right: true),
            "  " + Format.pad("target", 48), Format.pad("met", 7), "notes",
        ]
        lines.append(header.joined(separator: " "))
        lines.append(String(repeating: "-", count: 158))
        for result in results {
            let records = result.medianRecordsPerSecond.map { Format.count($0) } ?? "-"
            let percent = result.percentOfPageCache.map { Format.fixed($0, 0) + "%" } ?? ""
            let target = result.targets.map(\.label).joined(separator: ", ")
            // One verdict per target, in the order the targets are listed.
            let met = result.targets.map { target in target.met.map { $0 ? "yes" : "NO" } ?? "?" }.joined(separator: ",")
            lines.append(
                [
                    Format.pad(result.name, 34), Format.pad(records, 12, right: true),
                    Format.pad(Format.fixed(result.medianMibPerSecond), 10, right: true), Format.pad(percent, 6, right: true),
                    Format.pad(result.rawWritesMibPerSecond.map { Format.fixed($0) } ?? "", 10, right: true),
                    Format.pad(result.percentOfRawWrites.map { Format.fixed($0, 0) + "%" } ?? "", 6, right: true),
                    Format.pad(result.medianCpuMibPerSecond.map { Format.fixed($0) } ?? "", 10, right: true),
                    "  " + Format.pad(target, 48), Format.pad(met, 7), result.note ?? "",
                ].joined(separator: " "))
        }
        let judged = results.flatMap { result in result.targets.compactMap { target in target.met.map { (result.name, target.label, $0) } } }
        let missed = judged.filter { !$0.2 }
        lines.append("")
        lines.append("targets met: \(judged.count - missed.count) of \(judged.count)")
        for miss in missed { lines.append("  missed: \(miss.0): \(miss.1)") }
        return lines.joined(separator: "\n")
    }
}
