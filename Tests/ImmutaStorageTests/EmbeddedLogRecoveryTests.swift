import ImmutaTestSupport
import Testing

@testable import ImmutaStorage

/// An embedded log with damage inside it: refused at open (and the directory left free), found by
/// the verifier, and cut back by the operator's recovery policy.
@Suite(.timeLimit(.minutes(10))) struct EmbeddedLogRecoveryTests {
    @Test func damageIsRefusedThenVerifiedThenRepaired() async throws {
        // Records "record N" of 8 bytes, 16 framed: record N's payload starts at byte 16 N + 8.
        for damaged: UInt64 in [0, 1, 4, 5, 8] {
            try await withTemporaryDirectory { dir in
                let directory = dir + "/events"
                let log = try EmbeddedLog.open(directory: directory, configuration: TestLogs.small())
                try await EmbeddedTesting.append(log, batches: [3, 3, 3, 3])
                try log.close()
                let dataFile = directory + "/" + SegmentNames.stem(0) + SegmentNames.dataExtension
                try FileDamage.flipByte(dataFile, at: Int(16 * damaged + 8))

                // Damage followed by intact batches: refused, and the directory stays free.
                #expect(throws: StorageError.self, "record \(damaged)") {
                    try EmbeddedLog.open(directory: directory, configuration: TestLogs.small())
                }
                let problems = try LogVerifier.verify(directory: directory).problems
                #expect(problems.count == 1 && problems[0].file == dataFile, "\(problems)")
                #expect(problems.first?.message.contains("offset \(damaged)") == true, "\(problems)")

                let repaired = try EmbeddedLog.open(
                    directory: directory, configuration: TestLogs.small(), recoveryPolicy: .truncateAtFirstDamage)
                let kept = damaged / 3 * 3
                #expect(!repaired.recovery.isClean)
                #expect(repaired.bounds.nextOffset == kept, "cut back to the batch before record \(damaged)")
                let records = try await EmbeddedTesting.take(Int(kept), from: repaired.subscribe(from: .earliest))
                #expect(records.count == Int(kept) && EmbeddedTesting.areConsecutive(records, from: 0))
                try repaired.close()
                #expect(try LogVerifier.verify(directory: directory).problems.isEmpty)
            }
        }
    }
}
