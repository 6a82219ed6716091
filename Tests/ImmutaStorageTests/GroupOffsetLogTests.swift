import ImmutaStorage
import ImmutaTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A consumer group's committed offsets: kept across reopen, compacted past the threshold, and
/// never lost by a crash in the middle of a compaction.
@Suite(.timeLimit(.minutes(10))) struct CommitLogTests {
    /// Commits kept before compaction, small so that the loops cross it several times.
    static let threshold: UInt64 = 8

    /// Records held by the offset log on disk (the log must be closed).
    static func recordsOnDisk(_ directory: String) throws -> UInt64 {
        let (log, _) = try RecordLog.open(directory: directory + "/offsets", name: "inspect", create: false)
        defer { try? log.close() }
        return log.bounds.records
    }

    /// What the directory holds besides the log: nothing once a compaction finished or was repaired.
    static func leftovers(_ directory: String) -> [String] {
        ["offsets.compacting", "offsets.old"].filter { access(directory + "/" + $0, F_OK) == 0 }
    }

    /// How many records the log holds after `commits` commits with compaction at `threshold`.
    static func expectedRecords(after commits: UInt64, threshold: UInt64) -> UInt64 {
        commits < threshold ? commits : 1 + (commits - threshold) % (threshold - 1)
    }

    @Test func commitsPersistAcrossReopen() async throws {
        try await withTemporaryDirectory("group-offsets") { dir in
            let group = dir + "/group"
            var log = try CommitLog(directory: group, name: "group t/g")
            #expect(log.committed == nil)
            for offset in [0, 5, 5, 17, 1 << 40] as [UInt64] {
                try log.commit(offset)
                #expect(log.committed == offset)
            }
            try await log.waitUntilDurable()
            try log.close()
            log = try CommitLog(directory: group, name: "group t/g")
            #expect(log.committed == 1 << 40)
            try log.commit(3)  // the log records what it is told; ordering is the group's job
            try log.close()
            log = try CommitLog(directory: group, name: "group t/g")
            #expect(log.committed == 3)
            // Dropped without closing, as a crashed process would: the commit is still there.
            try log.commit(99)
            log = try CommitLog(directory: group, name: "group t/g")
            #expect(log.committed == 99)
            try log.close()
            #expect(Self.leftovers(group).isEmpty)
        }
    }

    @Test func compactionHappensPastTheThreshold() async throws {
        try await withTemporaryDirectory("group-offsets") { dir in
            for commits in UInt64(1)...(4 * Self.threshold) {
                let group = dir + "/g\(commits)"
                let log = try CommitLog(directory: group, name: "group t/g", compactionThreshold: Self.threshold)
                for i in 0..<commits { try log.commit(i * 3 + 1) }
                #expect(log.committed == (commits - 1) * 3 + 1)
                try log.close()
                let records = try Self.recordsOnDisk(group)
                #expect(records == Self.expectedRecords(after: commits, threshold: Self.threshold), "after \(commits) commits")
                #expect(records < Self.threshold, "after \(commits) commits the log holds \(records) records")
                #expect(Self.leftovers(group).isEmpty)
                let reopened = try CommitLog(directory: group, name: "group t/g", compactionThreshold: Self.threshold)
                #expect(reopened.committed == (commits - 1) * 3 + 1, "after \(commits) commits")
                try reopened.close()
            }
            // A long run stays small.
            let group = dir + "/long"
            let log = try CommitLog(directory: group, name: "group t/g", compactionThreshold: Self.threshold)
            for offset in UInt64(0)..<1000 { try log.commit(offset) }
            try log.close()
            #expect(try Self.recordsOnDisk(group) < Self.threshold)
            #expect(try CommitLog(directory: group, name: "group t/g").committed == 999)
        }
    }

    /// Stops a compaction after each of its steps (as a crash would), then opens a new log on the
    /// directory: it holds the last commit and takes further commits; for commit counts around
    /// the threshold, so the crash also hits logs that compacted before.
    @Test func compactionKeepsTheLastCommitAcrossACrashAtAnyPointOfTheRewrite() async throws {
        let threshold = Self.threshold
        let counts: [UInt64] = [1, 2, threshold - 2, threshold - 1, threshold, threshold + 1, 2 * threshold - 2, 2 * threshold - 1, 2 * threshold, 3 * threshold + 3]
        try await withTemporaryDirectory("group-offsets") { dir in
            for step in CommitLog.CompactionStep.allCases {
                for commits in counts {
                    let group = dir + "/\(step)-\(commits)"
                    let what = "crash after \(step) with \(commits) commits"
                    let crashed = try CommitLog(directory: group, name: "group t/g", compactionThreshold: threshold)
                    for i in 0..<commits { try crashed.commit(i * 7) }
                    let last = (commits - 1) * 7
                    #expect(throws: StorageError.self, "\(what): the hook did not stop the compaction") {
                        try crashed.compact(crashAfter: step)
                    }
                    // `crashed` is abandoned without closing, as a killed process leaves it.
                    let recovered = try CommitLog(directory: group, name: "group t/g", compactionThreshold: threshold)
                    #expect(recovered.committed == last, "\(what)")
                    #expect(Self.leftovers(group).isEmpty, "\(what): \(Self.leftovers(group)) left behind")
                    for i in 1...(threshold + 2) { try recovered.commit(last + i) }
                    #expect(recovered.committed == last + threshold + 2, "\(what)")
                    try recovered.close()
                    let again = try CommitLog(directory: group, name: "group t/g", compactionThreshold: threshold)
                    #expect(again.committed == last + threshold + 2, "\(what): after reopening")
                    try again.close()
                    #expect(try Self.recordsOnDisk(group) < threshold, "\(what)")
                    withExtendedLifetime(crashed) {}
                }
            }
        }
    }

    /// A compaction of a log that never had a commit does nothing, crash hook or not.
    @Test func compactingAnEmptyLogDoesNothing() async throws {
        try await withTemporaryDirectory("group-offsets") { dir in
            for step in CommitLog.CompactionStep.allCases {
                let group = dir + "/\(step)"
                let log = try CommitLog(directory: group, name: "group t/g")
                try log.compact(crashAfter: step)
                #expect(log.committed == nil)
                try log.commit(4)
                try log.close()
                #expect(try CommitLog(directory: group, name: "group t/g").committed == 4)
                #expect(Self.leftovers(group).isEmpty)
            }
        }
    }
}
