import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Under `none` durability a closed segment is flushed in the background; retention may delete
/// it first. The flush and the close must then skip it, not fail the log (found by the
/// ThreadSanitizer run, whose slowness let retention win the race).
@Suite(.timeLimit(.minutes(10))) struct RetentionBeforeFlushTests {
    @Test func segmentsRetentionDeletesBeforeTheirBackgroundFlushDoNotFailTheLog() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = RecordLogConfiguration(segmentBytes: 4096, durability: .none, retentionMilliseconds: 1000)
            let payload = [UInt8](repeating: 0x33, count: 3000)
            for round in 0..<300 {
                let (log, _) = try RecordLog.open(directory: dir + "/log\(round)", name: "log \(round)", configuration: configuration)
                for _ in 0..<4 { try log.append([payload]) }
                // Everything but the active segment is past its age, flushed or not.
                let removed = try log.enforceRetention(now: .max)
                #expect(removed.count == 3, "round \(round)")
                #expect(try log.append([payload]).firstOffset == 4, "round \(round)")
                try await log.waitUntilDurable(upTo: 5)
                try log.close()
            }
        }
    }
}
