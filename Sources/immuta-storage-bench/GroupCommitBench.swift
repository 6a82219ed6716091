import ImmutaStorage

/// Durability `fsync` with concurrent appenders: each is a Task that appends one 1 KiB record per
/// batch and waits for `waitUntilDurable` before its next append, like a producer waiting for its
/// acknowledgement. Appenders that arrive while a flush runs share the next one (group commit).
enum GroupCommitBench {
    static let recordBytes = 1024

    static func name(appenders: Int) -> String { "fsync 1 KiB x1, \(appenders) appender\(appenders == 1 ? "" : "s")" }

    static func run(appenders: Int, plan: Plan, workspace: Workspace, progress: (String) -> Void) async throws -> CaseResult {
        let framed = Payloads.framed(recordBytes: recordBytes, count: 1)
        let perTaskCap = max(1, plan.payloadCap / recordBytes / appenders)
        let name = name(appenders: appenders)
        var samples: [Sample] = []
        for run in 1...plan.runs {
            let directory = try workspace.directory("fsync")
            let (log, _) = try RecordLog.open(
                directory: directory, name: "bench log", configuration: RecordLogConfiguration(durability: .fsync))
            let syncsBefore = SyncCounter.count
            let start = monotonicNanoseconds()
            let deadline = start + Int64(plan.groupCommitSeconds * 1e9)
            let records = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<appenders {
                    group.addTask {
                        var count = 0
                        while count < perTaskCap && monotonicNanoseconds() < deadline {
                            let appended = try framed.withUnsafeBytes { try log.append(framed: $0) }
                            try await log.waitUntilDurable(appended)
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            let seconds = Double(monotonicNanoseconds() - start) / 1e9
            let syncs = SyncCounter.count - syncsBefore
            try log.close()
            workspace.remove(directory)
            let sample = Sample(
                records: records, payloadBytes: records * recordBytes, seconds: seconds,
                syncs: SyncCounter.isActive ? syncs : nil)
            progress(
                "\(name): run \(run)/\(plan.runs) \(Format.count(sample.recordsPerSecond)) records/s"
                    + (sample.syncs.map { ", \($0) fdatasyncs for \(records) records" } ?? ""))
            samples.append(sample)
        }
        var result = CaseResult(group: "fsync", name: name, samples: samples)
        result.recordBytes = recordBytes
        result.batchRecords = 1
        result.appenders = appenders
        let counted = samples.compactMap { sample in sample.syncs.map { (sample.records, Double($0)) } }
        if counted.count == samples.count, counted.allSatisfy({ $0.1 > 0 }) {
            // One flush round is an fdatasync of the data file and one of the index.
            result.medianFdatasyncs = Statistics.median(counted.map(\.1))
            result.recordsPerFlush = Statistics.median(counted.map { Double($0.0) / ($0.1 / 2) })
            result.fdatasyncsSavedPercent = Statistics.median(counted.map { 100 * (1 - $0.1 / (2 * Double($0.0))) })
            result.note =
                "\(Format.fixed(result.recordsPerFlush!, 1)) records per flush, "
                + "\(Format.fixed(result.fdatasyncsSavedPercent!, 0))% of fdatasyncs saved"
        } else {
            result.note = "fdatasync calls not counted on this platform"
        }
        return result
    }
}
