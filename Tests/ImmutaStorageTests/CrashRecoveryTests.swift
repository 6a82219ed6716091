import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Recovery after a crash: every kind of torn tail, at every position in the last batches, must
/// leave exactly the complete batches before it; damage that is not a torn tail must be refused.
@Suite(.timeLimit(.minutes(10))) struct CrashRecoveryTests {
    /// One way of damaging the files of a log directory.
    struct Damage {
        var label: String
        var apply: (_ directory: String) throws -> Void
    }

    /// Applies each damage to a fresh copy of the fixture and checks the recovery with the default
    /// policy, and for every third damage with the operator's `truncateAtFirstDamage` too (a torn
    /// tail is repaired the same way whichever is asked for).
    private func expectTornTailsRepaired(_ damages: [Damage], fixture: RecoveryFixture, in directory: String) async throws {
        let log = directory + "/log"
        for (i, damage) in damages.enumerated() {
            for policy in i % 3 == 0 ? [RecoveryPolicy.repairTornTail, .truncateAtFirstDamage] : [.repairTornTail] {
                try TestFiles.restore(fixture.files, in: log)
                try damage.apply(log)
                try fixture.expectRecovery(in: log, damaged: fixture.segments.count - 1, policy: policy, "\(damage.label) [\(policy)]")
            }
            // Long loops let the suite's other tests (some of them timed) have a turn.
            await Task.yield()
        }
    }

    /// Positions from the first byte of the second-to-last batch to the end of the data file.
    private func lastTwoBatchesData(_ fixture: RecoveryFixture) -> ClosedRange<Int> {
        let last = fixture.last
        let firstRecord = last.recordCount - last.batches[last.batches.count - 1].count - last.batches[last.batches.count - 2].count
        return last.positions[firstRecord]...last.data.count
    }

    /// Positions from the first index entry of the second-to-last batch to the end of the index.
    private func lastTwoBatchesIndex(_ fixture: RecoveryFixture) -> ClosedRange<Int> {
        let last = fixture.last
        let firstRecord = last.recordCount - last.batches[last.batches.count - 1].count - last.batches[last.batches.count - 2].count
        return (firstRecord * 32)...last.index.count
    }

    @Test func tornDataWriteAtEveryPosition() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let last = fixture.last
            // The data write stopped at `p`; the index holds the entries of the records written whole.
            let damages = lastTwoBatchesData(fixture).map { p in
                Damage(label: "data cut at \(p), index cut to match") { log in
                    try FileDamage.truncate(log + "/" + last.dataName, to: p)
                    try FileDamage.truncate(log + "/" + last.indexName, to: last.ends.filter { $0 <= p }.count * 32)
                }
            }
            try await expectTornTailsRepaired(damages, fixture: fixture, in: dir)
        }
    }

    @Test func indexAheadOfDataAtEveryPosition() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let damages = lastTwoBatchesData(fixture).map { p in
                Damage(label: "data cut at \(p), index intact") { log in
                    try FileDamage.truncate(log + "/" + fixture.last.dataName, to: p)
                }
            }
            try await expectTornTailsRepaired(damages, fixture: fixture, in: dir)
        }
    }

    @Test func tornIndexWriteAtEveryPosition() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let damages = lastTwoBatchesIndex(fixture).map { q in
                Damage(label: "index cut at \(q), data intact") { log in
                    try FileDamage.truncate(log + "/" + fixture.last.indexName, to: q)
                }
            }
            try await expectTornTailsRepaired(damages, fixture: fixture, in: dir)
        }
    }

    @Test func dataAheadOfIndex() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            var random = SeededGenerator(seed: 11)
            let dataPath = { (log: String) in log + "/" + fixture.last.dataName }
            var damages: [Damage] = []
            for length in 1...40 {
                let garbage = Payloads.random(length, using: &random)
                damages.append(Damage(label: "\(length) garbage bytes after the data") { try FileDamage.append(garbage, to: dataPath($0)) })
            }
            for count in 1...4 {
                // Whole, well-formed records that never got their index entries.
                let records = Payloads.framed(Payloads.random(count: count, sizes: 1...50, using: &random))
                damages.append(Damage(label: "\(count) unindexed records") { try FileDamage.append(records, to: dataPath($0)) })
            }
            let lastBatch = Payloads.framed(fixture.last.batches[fixture.last.batches.count - 1].payloads)
            damages.append(Damage(label: "a repeat of the last batch, unindexed") { try FileDamage.append(lastBatch, to: dataPath($0)) })
            try await expectTornTailsRepaired(damages, fixture: fixture, in: dir)
        }
    }

    @Test func zeroFilledTails() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let dataPath = { (log: String) in log + "/" + fixture.last.dataName }
            let indexPath = { (log: String) in log + "/" + fixture.last.indexName }
            var damages: [Damage] = []
            for p in lastTwoBatchesData(fixture) {
                damages.append(Damage(label: "data zeroed from \(p)") { try FileDamage.zeroFill(dataPath($0), from: p) })
            }
            for q in lastTwoBatchesIndex(fixture) {
                damages.append(Damage(label: "index zeroed from \(q)") { try FileDamage.zeroFill(indexPath($0), from: q) })
            }
            for length in 1...40 {
                damages.append(Damage(label: "data extended by \(length) zeros") { try FileDamage.extendWithZeros(dataPath($0), by: length) })
            }
            for length in 1...40 {
                damages.append(Damage(label: "index extended by \(length) zeros") { try FileDamage.extendWithZeros(indexPath($0), by: length) })
            }
            for length in [1, 7, 8, 9, 31, 32, 33, 64, 65] {
                damages.append(
                    Damage(label: "both extended by \(length) zeros") { log in
                        try FileDamage.extendWithZeros(dataPath(log), by: length)
                        try FileDamage.extendWithZeros(indexPath(log), by: length)
                    })
            }
            try await expectTornTailsRepaired(damages, fixture: fixture, in: dir)
        }
    }

    @Test func partialBatches() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let last = fixture.last
            var damages: [Damage] = []
            var batchEnd = last.recordCount
            // For each of the last two batches (4 and 3 records): keep only its first records' entries.
            for batch in last.batches.suffix(2).reversed() {
                let batchStart = batchEnd - batch.count
                for removed in 1..<batch.count {
                    let entries = batchEnd - removed
                    damages.append(
                        Damage(label: "\(batch.count)-record batch at \(batch.firstOffset) without its last \(removed) entries") { log in
                            try FileDamage.truncate(log + "/" + last.indexName, to: entries * 32)
                        })
                    damages.append(
                        Damage(label: "\(batch.count)-record batch at \(batch.firstOffset) with \(removed) entries zeroed") { log in
                            try FileDamage.zeroFill(log + "/" + last.indexName, from: entries * 32)
                        })
                }
                batchEnd = batchStart
            }
            try await expectTornTailsRepaired(damages, fixture: fixture, in: dir)
            // The whole of the last segment lost: recovery keeps the empty segment and appends go on there.
            try await expectTornTailsRepaired(
                [Damage(label: "last segment emptied") { log in
                    try FileDamage.truncate(log + "/" + last.dataName, to: 0)
                    try FileDamage.truncate(log + "/" + last.indexName, to: 0)
                }], fixture: fixture, in: dir)
        }
    }

    @Test func flippedByteInTheLastSegmentIsRefusedUnlessItIsTheTail() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let last = fixture.last
            let log = dir + "/log"
            var refused = 0
            let lastRecord = last.recordCount - 1
            // Every byte of the data file, then every byte of the index.
            let places = (0..<last.data.count).map { (file: last.dataName, position: $0, record: fixture.record(of: last, containing: $0)) }
                + (0..<last.index.count).map { (file: last.indexName, position: $0, record: $0 / 32) }
            for place in places {
                try TestFiles.restore(fixture.files, in: log)
                try FileDamage.flipByte(log + "/" + place.file, at: place.position)
                let label = "\(place.file) byte \(place.position) (record \(place.record)) flipped"
                if place.record < lastRecord {
                    // Intact records follow: this is corruption, not a torn write. Refused as it is...
                    try fixture.expectRefusal(in: log, file: last.indexName, position: UInt64(place.record * 32), label)
                    refused += 1
                    // ...and an operator's explicit repair cuts the log at the damaged batch (checked
                    // at every fourth position: it is the slow part).
                    if place.position % 4 == 0 {
                        try fixture.expectRecovery(in: log, damaged: fixture.segments.count - 1, policy: .truncateAtFirstDamage, label)
                    }
                } else {
                    // Damage to the last record has nothing intact after it: the default policy repairs it.
                    try fixture.expectRecovery(in: log, damaged: fixture.segments.count - 1, policy: .repairTornTail, label)
                }
                await Task.yield()
            }
            #expect(refused > 500)
        }
    }

    @Test func damagedSealedSegmentIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let log = dir + "/log"
            for (k, segment) in fixture.segments.dropLast().enumerated() {
                let dataPath = { (log: String) in log + "/" + segment.dataName }
                let indexPath = { (log: String) in log + "/" + segment.indexName }
                let lastBatch = segment.batches[segment.batches.count - 1]
                let lastBatchData = segment.positions[segment.recordCount - lastBatch.count]
                var damages: [(Damage, file: String)] = []
                for p in lastBatchData..<segment.data.count {
                    damages.append((Damage(label: "segment \(k) data cut at \(p)") { try FileDamage.truncate(dataPath($0), to: p) }, segment.dataName))
                }
                for q in ((segment.recordCount - lastBatch.count) * 32)..<segment.index.count {
                    // A partial entry is reported in the index; whole entries missing, in the data that outgrows them.
                    let file = q % 32 == 0 ? segment.dataName : segment.indexName
                    damages.append((Damage(label: "segment \(k) index cut at \(q)") { try FileDamage.truncate(indexPath($0), to: q) }, file))
                }
                for length in [1, 7, 8, 9, 40] {
                    damages.append((Damage(label: "segment \(k) data extended by \(length)") { try FileDamage.extendWithZeros(dataPath($0), by: length) }, segment.dataName))
                }
                for length in [1, 31, 32, 33, 64] {
                    damages.append((Damage(label: "segment \(k) index extended by \(length)") { try FileDamage.extendWithZeros(indexPath($0), by: length) }, segment.indexName))
                }
                for q in (segment.index.count - 32)..<segment.index.count {
                    damages.append((Damage(label: "segment \(k) last entry byte \(q) flipped") { try FileDamage.flipByte(indexPath($0), at: q) }, segment.indexName))
                }
                for (damage, file) in damages {
                    try TestFiles.restore(fixture.files, in: log)
                    try damage.apply(log)
                    try fixture.expectRefusal(in: log, file: file, damage.label)
                    try fixture.expectRecovery(in: log, damaged: k, policy: .truncateAtFirstDamage, damage.label)
                    await Task.yield()
                }
            }
        }
    }

    @Test func flippedPayloadInASealedSegmentIsCaughtOnRead() async throws {
        // Opening checks a sealed segment through its sizes and last entry only (the writer synced it
        // before starting the next); a flipped payload byte inside it is caught by the read's checksum.
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir + "/source")
            let log = dir + "/log"
            let segment = fixture.segments[0]
            for record in stride(from: 0, to: segment.recordCount, by: 3) {
                try TestFiles.restore(fixture.files, in: log)
                try FileDamage.flipByte(log + "/" + segment.dataName, at: segment.positions[record] + 8, mask: 0x01)
                let (opened, report) = try RecordLog.open(directory: log, name: "crash log", configuration: fixture.configuration, create: false)
                #expect(report.isClean)
                #expect(throws: StorageError.checksumMismatch(log: "crash log", offset: UInt64(record), file: log + "/" + segment.dataName)) {
                    try opened.read(from: UInt64(record), maxRecords: 1)
                }
                // The records around it still read, and the verifier finds the damage.
                if record > 0 { #expect(try opened.read(from: 0, maxRecords: record).count == record) }
                #expect(try opened.read(from: UInt64(record + 1), maxRecords: 1).count == 1)
                try opened.close()
                let problems = try LogVerifier.verify(directory: log).problems
                #expect(problems.map(\.file) == [log + "/" + segment.dataName] && problems.map(\.position) == [UInt64(segment.positions[record])])
            }
        }
    }
}
