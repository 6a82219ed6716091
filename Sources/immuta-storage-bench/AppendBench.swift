import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// Appends with durability `none`, so the figures measure the engine (framing checks, CRC32C,
/// index entries, two pwrites per batch) and not the disk.
enum AppendBench {
    /// Which append API a case uses.
    enum API: String, Sendable {
        /// `append(framed:)` with a buffer built once before timing: what the daemon does.
        case framed
        /// `append(_ payloads:)`, which builds the framed buffer on every call.
        case payloads
    }

    static func name(recordBytes: Int, batchRecords: Int, api: API, segmentBytes: UInt64 = Plan.engineSegmentBytes) -> String {
        "append \(api == .framed ? "" : "payloads ")\(Format.size(recordBytes)) x\(batchRecords)"
            + (segmentBytes == Plan.engineSegmentBytes ? "" : ", \(Format.size(Int(segmentBytes))) segments")
    }

    /// - Parameter segmentBytes: the log's segment size; the default keeps a run inside one segment.
    static func run(
        recordBytes: Int, batchRecords: Int, api: API, segmentBytes: UInt64 = Plan.engineSegmentBytes, plan: Plan,
        workspace: Workspace, progress: (String) -> Void
    ) throws -> CaseResult {
        let batches = plan.batches(recordBytes: recordBytes, batchRecords: batchRecords)
        let framed = Payloads.framed(recordBytes: recordBytes, count: batchRecords)
        let payloads = api == .payloads ? Array(repeating: Payloads.bytes(recordBytes), count: batchRecords) : []
        let name = name(recordBytes: recordBytes, batchRecords: batchRecords, api: api, segmentBytes: segmentBytes)
        var samples: [Sample] = []
        var rawSamples: [Sample] = []
        for run in 1...plan.runs {
            let directory = try workspace.directory("append")
            let timing: Timing
            do {
                let (log, _) = try RecordLog.open(
                    directory: directory, name: "bench log",
                    configuration: RecordLogConfiguration(segmentBytes: segmentBytes, durability: .none))
                switch api {
                case .framed:
                    timing = try framed.withUnsafeBytes { raw in
                        try timed { for _ in 0..<batches { try log.append(framed: raw) } }
                    }
                case .payloads:
                    timing = try timed { for _ in 0..<batches { try log.append(payloads) } }
                }
                // The log is dropped without close(): close() would flush the page cache to disk,
                // which durability `none` never asks for. Deleting the files discards the pages.
            }
            workspace.remove(directory)
            let records = batches * batchRecords
            let sample = Sample(records: records, payloadBytes: records * recordBytes, timing: timing)
            let raw = Sample(
                records: records, payloadBytes: records * recordBytes,
                timing: try rawWrites(framed, count: batches, path: workspace.file("raw-writes")))
            workspace.remove(workspace.file("raw-writes"))
            progress(
                "\(name): run \(run)/\(plan.runs) \(Format.fixed(sample.mibPerSecond)) MiB/s "
                    + "(same writes without the engine: \(Format.fixed(raw.mibPerSecond)) MiB/s)")
            samples.append(sample)
            rawSamples.append(raw)
        }
        var result = CaseResult(
            group: api == .payloads ? "append-payloads" : segmentBytes == Plan.engineSegmentBytes ? "append" : "append-rolling",
            name: name, samples: samples)
        result.recordBytes = recordBytes
        result.batchRecords = batchRecords
        result.rawWritesMibPerSecond = Statistics.median(rawSamples.map(\.mibPerSecond))
        result.rawWritesCpuMibPerSecond = Statistics.median(rawSamples.compactMap(\.cpuMibPerSecond))
        if segmentBytes != Plan.engineSegmentBytes {
            result.note = "rolls every \(Format.size(Int(segmentBytes))); each roll fdatasyncs the sealed segment"
        } else if api == .framed {
            if batchRecords == 1, let go = Target.goAppend(recordBytes: recordBytes) { result.targets.append(go) }
            if recordBytes >= 4096 { result.targets.append(Target.pageCache) }
        } else {
            result.note = "reference: builds the framed buffer per call"
        }
        return result
    }

    /// The ceiling for a case: one pwrite per batch of the same framed bytes into a new file, with
    /// no index, no checksum and no bookkeeping. The kernel's cost per write depends on its size
    /// and alignment (seed-format records are never page-aligned), which a 1 MiB dd does not show.
    static func rawWrites(_ framed: [UInt8], count: Int, path: String) throws -> Timing {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw BenchError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try framed.withUnsafeBytes { raw in
            try timed {
                var position = 0
                for _ in 0..<count {
                    var done = 0
                    while done < raw.count {
                        let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(position + done))
                        guard n > 0 else { throw BenchError("pwrite \(path): \(String(cString: strerror(errno)))") }
                        done += n
                    }
                    position += raw.count
                }
            }
        }
    }
}
