import ImmutaStorage
import ImmutaTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A compaction of a group's offset log that fails (an I/O error, not a crash) must leave the
/// group committing. Part of the serialized IOFaultsTests suite: the seam's rules are global.
extension IOFaultsTests {
    /// Fails each system call a compaction makes in turn (the Nth open, write, fsync, rename or
    /// unlink under the group directory, once or from then on): the compaction throws, yet the
    /// next commits succeed and survive a reopen, and the next compaction succeeds and leaves
    /// nothing behind.
    @Test func aFailedCompactionLeavesTheGroupCommitting() async throws {
        try await withTemporaryDirectory("group-compaction-faults") { dir in
            var failed: [IOFaults.Operation: Int] = [:]
            for operation in [IOFaults.Operation.open, .write, .fsync, .rename, .unlink] {
                for call in 1...10 {
                    for count in [1, nil] as [Int?] {
                        // The "-g" suffix keeps "open-1" from matching "open-10".
                        let group = dir + "/\(operation)-\(call)-\(count.map(String.init) ?? "on")-g"
                        let what = "\(operation) call \(call) failing \(count.map { "\($0)x" } ?? "from then on")"
                        let log = try CommitLog(directory: group, name: "group t/g", compactionThreshold: 1000)
                        for offset in UInt64(1)...5 { try log.commit(offset) }
                        // No background flush is left to meet the fault: it hits the compaction only.
                        try await log.waitUntilDurable()
                        // Rules of its own (IOFaults.with): other suites inject faults at the same time.
                        IOFaults.with([
                            IOFaults.Rule(operation: operation, pathContains: group, action: .fail(errno: EIO), from: call, count: count)
                        ]) { _ in
                            do {
                                try log.compact()
                            } catch {
                                failed[operation, default: 0] += 1
                            }
                        }
                        try log.commit(6)
                        try log.commit(7)
                        #expect(log.committed == 7, "\(what)")
                        try await log.waitUntilDurable()
                        try log.compact()
                        try log.commit(8)
                        try log.close()
                        #expect(Self.compactionLeftovers(group).isEmpty, "\(what): \(Self.compactionLeftovers(group)) left behind")
                        let reopened = try CommitLog(directory: group, name: "group t/g")
                        #expect(reopened.committed == 8, "\(what)")
                        try reopened.close()
                        let (raw, _) = try RecordLog.open(directory: group + "/offsets", name: "inspect", create: false)
                        #expect(raw.bounds.records == 2, "\(what): the last compaction kept one commit, then one more came")
                        try raw.close()
                    }
                }
            }
            // Every kind of call the compaction makes was hit at least once (else the loop tested nothing).
            for operation in [IOFaults.Operation.open, .write, .fsync, .rename, .unlink] {
                #expect(failed[operation, default: 0] > 0, "no \(operation) fault failed a compaction")
            }
        }
    }

    /// A commit that crosses the compaction threshold stands when the compaction fails: the caller
    /// is told through the failure handler, not by a thrown commit, and a later commit compacts.
    @Test func aCommitStandsWhenTheCompactionItTriggersFails() async throws {
        try await withTemporaryDirectory("group-compaction-faults") { dir in
            for operation in [IOFaults.Operation.open, .write, .fsync, .rename, .unlink] {
                let group = dir + "/\(operation)-g"
                let reported = Mutex(0)
                let log = try CommitLog(
                    directory: group, name: "group t/g", compactionThreshold: 4, onCompactionFailure: { _ in reported.withLock { $0 += 1 } })
                for offset in UInt64(1)...3 { try log.commit(offset) }
                try await log.waitUntilDurable()
                // The first call of this kind the compaction makes fails: past the commit's own two
                // writes, and on the replacement's files for fsync, which the commit's background
                // flush of the live log would otherwise race for.
                let from = operation == .write ? 3 : 1
                let path = operation == .fsync ? group + "/offsets.compacting" : group
                try IOFaults.with([IOFaults.Rule(operation: operation, pathContains: path, action: .fail(errno: EIO), from: from, count: 1)]) { _ in
                    try log.commit(4)
                }
                #expect(log.committed == 4, "\(operation)")
                #expect(reported.withLock { $0 } == 1, "\(operation): the failed compaction was reported once")
                for offset in UInt64(5)...9 { try log.commit(offset) }
                try log.close()
                #expect(Self.compactionLeftovers(group).isEmpty, "\(operation)")
                let reopened = try CommitLog(directory: group, name: "group t/g", compactionThreshold: 4)
                #expect(reopened.committed == 9, "\(operation)")
                try reopened.close()
                let (raw, _) = try RecordLog.open(directory: group + "/offsets", name: "inspect", create: false)
                #expect(raw.bounds.records < 4, "\(operation): a later commit compacted the log")
                try raw.close()
            }
        }
    }

    static func compactionLeftovers(_ directory: String) -> [String] {
        ["offsets.compacting", "offsets.old"].filter { access(directory + "/" + $0, F_OK) == 0 }
    }
}
