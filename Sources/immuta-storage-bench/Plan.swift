import ImmutaStorage

/// How much each case writes and how long it runs. Every case is capped in bytes so a run never
/// holds more than a few hundred MiB on disk.
struct Plan: Sendable {
    var runs: Int
    /// Payload bytes a case writes per run, at most.
    var payloadCap: Int
    /// Records a case writes per run, at most (keeps the small-record cases short).
    var recordCap: Int
    /// How long each group-commit run lasts.
    var groupCommitSeconds: Double
    /// Bytes checksummed per CRC32C run, hardware and portable.
    var crcHardwareBytes: Int
    var crcPortableBytes: Int

    static func full(runs: Int) -> Plan {
        Plan(
            runs: runs, payloadCap: 256 << 20, recordCap: 1_000_000, groupCommitSeconds: 2,
            crcHardwareBytes: 2 << 30, crcPortableBytes: 512 << 20)
    }

    static func quick(runs: Int) -> Plan {
        Plan(
            runs: runs, payloadCap: 32 << 20, recordCap: 100_000, groupCommitSeconds: 0.5,
            crcHardwareBytes: 256 << 20, crcPortableBytes: 64 << 20)
    }

    /// Segment size of the append and read logs: larger than anything a run writes, so no run
    /// crosses a segment roll. A roll fdatasyncs the sealed segment whatever the durability, which
    /// would put the disk into a figure meant to measure the engine; the case with the default
    /// segment size (``rollSegmentBytes``) shows that cost on its own.
    static let engineSegmentBytes: UInt64 = 1 << 30
    /// The default segment size, for the case that does roll.
    static let rollSegmentBytes: UInt64 = RecordLogConfiguration().segmentBytes

    /// Batches an append run writes: as many as the caps allow, at least one.
    func batches(recordBytes: Int, batchRecords: Int) -> Int {
        max(1, min(payloadCap / recordBytes, recordCap) / batchRecords)
    }

    /// Free space to insist on before starting: the largest case plus its index, twice over.
    var requiredFreeBytes: UInt64 { UInt64(payloadCap) * 2 + (256 << 20) }
}

/// The record sizes every append and read case is run with.
let recordSizes = [100, 1024, 4096, 65536]
/// Records per batch for the append cases.
let batchSizes = [1, 1000]
/// Concurrent appenders for the fsync cases.
let appenderCounts = [1, 8, 64]
