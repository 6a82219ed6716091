import Dispatch
import ImmutaTestSupport
import Testing

@testable import ImmutaStorage

#if canImport(Glibc)
/// The fdatasync calls each durability setting really makes (counted by ``SyncCounter``), on a
/// disk-backed directory: `fsync` syncs what it acknowledges, `none` never syncs on the append
/// path, `interval:MS` makes one sync for many appends.
@Suite(.timeLimit(.minutes(10))) struct DurabilitySyncTests {
    /// A log of one segment (1 MiB: no roll, whose flush of the sealed segment would be counted too).
    private func open(_ dir: String, _ durability: Durability) throws -> (RecordLog, data: String, index: String) {
        let (log, _) = try RecordLog.open(
            directory: dir, name: "\(durability) log", configuration: TestLogs.small(segmentBytes: 1 << 20, durability: durability))
        let segment = try #require(try segmentFiles(in: dir).last)
        return (log, SyncCounter.canonical(segment.dataPath), SyncCounter.canonical(segment.indexPath))
    }

    /// Whether a real fdatasync of `path` ran when the file was at least `size` bytes.
    private func synced(_ path: String, upTo size: Int) -> Bool {
        SyncCounter.calls(on: path).contains { $0.size >= size }
    }

    @Test func fsyncSyncsDataAndIndexBeforeAcknowledging() async throws {
        try await withDiskTemporaryDirectory("fsync-calls") { dir in
            let (log, data, index) = try open(dir, .fsync)
            for round in 1...20 {
                let result = try log.append([[UInt8(round)], [1, 2, 3]])
                let sizes = (try TestFiles.size(data), try TestFiles.size(index))
                try await log.waitUntilDurable(result)
                #expect(synced(data, upTo: sizes.0), "round \(round): acknowledged before the data file was synced to \(sizes.0) bytes")
                #expect(synced(index, upTo: sizes.1), "round \(round): acknowledged before the index was synced to \(sizes.1) bytes")
            }
            try log.close()
        }
    }

    @Test func fsyncSyncsWithoutAWaiter() async throws {
        try await withDiskTemporaryDirectory("fsync-background") { dir in
            let (log, data, index) = try open(dir, .fsync)
            _ = try log.append([[7], [8]])
            let sizes = (try TestFiles.size(data), try TestFiles.size(index))
            #expect(await eventually { synced(data, upTo: sizes.0) && synced(index, upTo: sizes.1) }, "the append's own flush never ran")
            try log.close()
        }
    }

    @Test func noneMakesNoSyncOnTheAppendPath() async throws {
        try await withDiskTemporaryDirectory("none-calls") { dir in
            let (log, data, index) = try open(dir, .none)
            for round in 0..<200 { _ = try log.append([[UInt8(round % 256)]]) }
            log.syncQueue.sync {}  // anything the appends queued has run
            #expect(SyncCounter.calls(on: data).isEmpty && SyncCounter.calls(on: index).isEmpty, "\(SyncCounter.calls(on: data).count) syncs")
            // The counter sees this log's files (else the emptiness above would prove nothing).
            try log.sync()
            #expect(SyncCounter.calls(on: data).count == 1 && SyncCounter.calls(on: index).count == 1)
            try log.close()
        }
    }

    @Test func intervalWaitsForItsTimerAndThenSyncsOnceForEverything() async throws {
        try await withDiskTemporaryDirectory("interval-defer") { dir in
            let (log, data, _) = try open(dir, .interval(milliseconds: 3_600_000))
            var last = try log.append([[0]])
            for round in 1..<100 { last = try log.append([[UInt8(round)]]) }
            log.syncQueue.sync {}
            #expect(SyncCounter.calls(on: data).isEmpty, "an hour has not passed")
            try await log.waitUntilDurable(last)
            #expect(SyncCounter.calls(on: data).count == 1, "one sync covers all 100 appends")
            #expect(synced(data, upTo: try TestFiles.size(data)))
            try log.close()
        }
    }

    @Test func intervalCoalescesAppendsIntoAtMostOneSyncPerInterval() async throws {
        try await withDiskTemporaryDirectory("interval-coalesce") { dir in
            let interval = 40
            let (log, data, _) = try open(dir, .interval(milliseconds: interval))
            let clock = ContinuousClock()
            let start = clock.now
            let appends = 150
            for round in 0..<appends {
                _ = try log.append([[UInt8(round % 256)]])
                try await Task.sleep(for: .milliseconds(1))  // spread the appends over several intervals
            }
            let size = try TestFiles.size(data)
            #expect(await eventually { synced(data, upTo: size) }, "the timer's sync never covered the last append")
            let elapsed = clock.now - start
            let syncs = SyncCounter.calls(on: data).count
            // The timer is armed by the first append after a sync and fires `interval` later: no
            // two syncs start closer than that.
            let bound = Int(elapsed / .milliseconds(interval)) + 1
            #expect(syncs >= 1 && syncs <= bound, "\(syncs) syncs for \(appends) appends in \(elapsed) (at most \(bound))")
            try log.close()
        }
    }
}
#endif
