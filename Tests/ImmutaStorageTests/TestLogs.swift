import ImmutaStorage
import ImmutaTestSupport

/// Configurations and builders shared by the storage suites: small segments and payloads keep the
/// loops over damage positions fast.
enum TestLogs {
    /// The smallest segments the engine allows, no fsync (tests that need it ask for it).
    static func small(
        segmentBytes: UInt64 = RecordLogConfiguration.minimumSegmentBytes, maxRecordBytes: UInt64 = 1024,
        durability: Durability = .none
    ) -> RecordLogConfiguration {
        RecordLogConfiguration(segmentBytes: segmentBytes, maxRecordBytes: maxRecordBytes, durability: durability)
    }

    /// Appends batches of 1 to `maxBatch` random records (1 to `maxPayload` bytes each) with
    /// timestamps `firstTimestamp`, +10, +20, ... until the log has `segments` segments, then
    /// `tailBatches` more; returns the model of what was appended.
    static func fill(
        _ log: RecordLog, segments: Int, tailBatches: [Int] = [], maxBatch: Int = 5, maxPayload: Int = 60,
        firstTimestamp: Int64 = 1_000, seed: UInt64 = 1
    ) throws -> LogModel {
        var random = SeededGenerator(seed: seed)
        var model = LogModel()
        var time = firstTimestamp
        while log.bounds.segments < segments {
            let count = Int.random(in: 1...maxBatch, using: &random)
            try model.append(Payloads.random(count: count, sizes: 1...maxPayload, using: &random), to: log, timestamp: time)
            time += 10
        }
        for count in tailBatches {
            try model.append(Payloads.random(count: count, sizes: 1...maxPayload, using: &random), to: log, timestamp: time)
            time += 10
        }
        return model
    }
}
