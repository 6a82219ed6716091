import ImmutaStorage

/// Sequential reads through `RecordLog.read(from:maxRecords:maxBytes:)`, which checks every
/// record's size prefix and CRC32C. The log is written once per size (in batches of 1000) and
/// read from the page cache, start to end, once per run.
enum ReadBench {
    /// Records and bytes per read call: the API's defaults.
    static let maxRecords = 1000
    static let maxBytes = 1 << 20

    static func name(recordBytes: Int) -> String { "read \(Format.size(recordBytes))" }

    static func run(recordBytes: Int, plan: Plan, workspace: Workspace, progress: (String) -> Void) throws -> CaseResult {
        let batchRecords = 1000
        let batches = plan.batches(recordBytes: recordBytes, batchRecords: batchRecords)
        let records = batches * batchRecords
        let name = name(recordBytes: recordBytes)
        let directory = try workspace.directory("read")
        defer { workspace.remove(directory) }
        let (log, _) = try RecordLog.open(
            directory: directory, name: "bench log",
            configuration: RecordLogConfiguration(segmentBytes: Plan.engineSegmentBytes, durability: .none))
        let framed = Payloads.framed(recordBytes: recordBytes, count: batchRecords)
        try framed.withUnsafeBytes { raw in for _ in 0..<batches { try log.append(framed: raw) } }

        var samples: [Sample] = []
        for run in 1...plan.runs {
            var read = 0
            var bytes = 0
            let timing = try timed {
                var offset: UInt64 = 0
                while read < records {
                    let batch = try log.read(from: offset, maxRecords: maxRecords, maxBytes: maxBytes)
                    guard !batch.isEmpty else { throw BenchError("read \(name) stopped early at offset \(offset)") }
                    read += batch.count
                    bytes += batch.framed.count - batch.count * RecordFraming.headerSize
                    offset = batch.nextOffset
                }
            }
            let sample = Sample(records: read, payloadBytes: bytes, timing: timing)
            progress("\(name): run \(run)/\(plan.runs) \(Format.fixed(sample.mibPerSecond)) MiB/s")
            samples.append(sample)
        }
        var result = CaseResult(group: "read", name: name, samples: samples)
        result.recordBytes = recordBytes
        result.batchRecords = maxRecords
        result.note = "maxRecords \(maxRecords), maxBytes \(Format.size(maxBytes))"
        if let target = Target.read(recordBytes: recordBytes) { result.targets.append(target) }
        return result
    }
}
