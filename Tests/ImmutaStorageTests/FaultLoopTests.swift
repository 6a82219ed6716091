@testable import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Every system call of append, roll and retention, failed in turn with every fault that call can
/// meet: the failing call's request gets an error, no acknowledged record is lost, nothing of a
/// failed batch is visible, the log works again without a restart once the fault has passed
/// (after recovering, if the fault failed it), and it reopens clean.
@Suite(.serialized, .timeLimit(.minutes(10))) struct FaultLoopTests {
    static let faults: [IOFaults.Operation: [IOFaults.Action]] = [
        .open: [.fail(errno: 24), .fail(errno: 28), .fail(errno: 5)],
        .write: [.fail(errno: 5), .fail(errno: 28), .shortWrite],
        .fsync: [.fail(errno: 5), .fail(errno: 28)],
        .truncate: [.fail(errno: 5)],
        .unlink: [.fail(errno: 5)],
    ]

    /// What one run saw.
    struct Outcome {
        var model = LogModel()
        var acknowledged: Set<UInt64> = []
        var failures = 0
        /// Batches acknowledged after the first failure.
        var acknowledgedAfterFailure = 0
    }

    /// Appends 40 batches of random records with 4 KiB segments (about ten rolls), waiting for
    /// each to be durable, and enforces a retention limit every fifth batch.
    static func scenario(_ log: RecordLog, seed: UInt64) async -> Outcome {
        var outcome = Outcome()
        var random = SeededGenerator(seed: seed)
        for batch in 0..<40 {
            let payloads = Payloads.random(count: .random(in: 1...3, using: &random), sizes: 1...700, using: &random)
            do {
                let result = try outcome.model.append(payloads, to: log)
                do {
                    try await log.waitUntilDurable(result)
                    outcome.acknowledged.formUnion(result.firstOffset..<result.nextOffset)
                    if outcome.failures > 0 { outcome.acknowledgedAfterFailure += 1 }
                } catch {
                    outcome.failures += 1
                }
            } catch {
                outcome.failures += 1
            }
            if batch % 5 == 4 { _ = try? log.enforceRetention() }
        }
        return outcome
    }

    static func configuration() -> RecordLogConfiguration {
        var configuration = RecordLogConfiguration(segmentBytes: 4096, maxRecordBytes: 1024, durability: .fsync)
        configuration.retentionBytes = 24 << 10
        return configuration
    }

    @Test func everyCallOfAppendRollAndRetentionThroughEveryFault() async throws {
        RecordLog.recoveryInterval = 0
        defer { RecordLog.recoveryInterval = 1_000_000_000 }
        // How many calls of each kind a clean run makes.
        let counts = try await withTemporaryDirectory("fault-count") { dir in
            let operations = Array(Self.faults.keys)
            return try await IOFaults.with(operations.map { IOFaults.Rule(operation: $0, pathContains: dir + "/", action: .count) }) { token in
                let (log, _) = try RecordLog.open(directory: dir + "/log", name: "counted", configuration: Self.configuration())
                let outcome = await Self.scenario(log, seed: 1)
                #expect(outcome.failures == 0)
                try log.close()
                return Dictionary(uniqueKeysWithValues: zip(operations, token.matches))
            }
        }
        #expect(counts[IOFaults.Operation.write, default: 0] >= 80 && counts[IOFaults.Operation.open, default: 0] >= 20 && counts[IOFaults.Operation.unlink, default: 0] >= 2, "\(counts)")
        var runs = 0
        var failedRuns = 0
        for (operation, actions) in Self.faults.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for call in 1...max(1, counts[operation, default: 0]) {
                for action in actions {
                    runs += 1
                    if try await Self.run(operation: operation, action: action, call: call) { failedRuns += 1 }
                }
            }
        }
        #expect(failedRuns > runs / 4, "most faults reach a request: \(failedRuns) of \(runs)")
        print("fault loop: \(runs) runs, \(failedRuns) failed a request; calls \(counts)")
    }

    /// After a failed fdatasync (in a roll, in the flush of an acknowledgement, anywhere) the log
    /// acknowledges nothing until it has recovered: the kernel may have dropped the pages.
    @Test func afterAFailedFlushNothingIsAcknowledgedUntilTheLogRecovers() async throws {
        RecordLog.recoveryInterval = .max
        defer { RecordLog.recoveryInterval = 1_000_000_000 }
        for call in 1...60 {
            try await withTemporaryDirectory("fsync-fault") { dir in
                let (log, _) = try RecordLog.open(directory: dir + "/log", name: "failing", configuration: Self.configuration())
                let outcome = await IOFaults.with([IOFaults.Rule(operation: .fsync, pathContains: dir + "/log/0", action: .fail(errno: 5), from: call, count: 1)]) { _ in
                    await Self.scenario(log, seed: 2)
                }
                #expect(outcome.failures > 0, "fsync #\(call) failed a request")
                #expect(outcome.acknowledgedAfterFailure == 0, "fsync #\(call): \(outcome.acknowledgedAfterFailure) batches acknowledged after a failed flush")
                #expect(log.failure != nil, "fsync #\(call): the log is marked failed")
                #expect(throws: StorageError.self) { try log.append([[1]]) }
                // Allowed to recover, the next write rewrites and flushes the tail, then goes on.
                RecordLog.recoveryInterval = 0
                defer { RecordLog.recoveryInterval = .max }
                var model = outcome.model
                let next = try model.append([[2]], to: log)
                try await log.waitUntilDurable(next)
                #expect(log.failure == nil)
                #expect(try readAll(log) == model.records.filter { $0.offset >= log.bounds.earliestOffset })
                try log.close()
            }
        }
    }

    /// One run with one fault; returns whether a request failed.
    static func run(operation: IOFaults.Operation, action: IOFaults.Action, call: Int) async throws -> Bool {
        let label = "\(operation.rawValue) #\(call) \(action)"
        return try await withTemporaryDirectory("fault-run") { dir in
            let path = dir + "/log"
            let (log, _) = try RecordLog.open(directory: path, name: "faulty", configuration: Self.configuration())
            let outcome = await IOFaults.with([IOFaults.Rule(operation: operation, pathContains: dir + "/", action: action, from: call, count: 1)]) { _ in
                await Self.scenario(log, seed: 1)
            }
            // What readers see is exactly the batches that were appended, whole, at their offsets.
            let earliest = log.bounds.earliestOffset
            let expected = outcome.model.records.filter { $0.offset >= earliest }
            #expect(try readAll(log) == expected, "\(label): the log differs from the appended batches")
            let stored = Set(expected.map(\.offset))
            #expect(outcome.acknowledged.allSatisfy { $0 < earliest || stored.contains($0) }, "\(label): an acknowledged record is missing")
            // The fault has passed: the log takes and flushes a batch again, without a restart.
            var model = outcome.model
            let next = try model.append([Array("after \(label)".utf8)], to: log)
            try await log.waitUntilDurable(next)
            try log.close()

            let (reopened, _) = try RecordLog.open(directory: path, name: "faulty", configuration: Self.configuration())
            let kept = model.records.filter { $0.offset >= reopened.bounds.earliestOffset }
            #expect(try readAll(reopened) == kept, "\(label): after reopening")
            try reopened.close()
            let report = try LogVerifier.verify(directory: path)
            #expect(report.isClean, "\(label): verify \(report)")
            return outcome.failures > 0
        }
    }
}
