import ImmutaStorage
import ImmutaTestSupport
import Testing

/// `LogVerifier` finds each injected problem, in the right file at the right position, and reports
/// nothing else; a healthy log verifies clean.
@Suite(.timeLimit(.minutes(10))) struct VerifierTests {
    @Test func healthyLogIsClean() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try RecoveryFixture(directory: dir)
            let report = try LogVerifier.verify(directory: dir)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.segments == fixture.segments.count)
            #expect(report.records == fixture.model.nextOffset)
            #expect(report.bytes == UInt64(fixture.segments.reduce(0) { $0 + $1.data.count }))
            // An empty log, and a log whose only segment is empty, are healthy too.
            let (empty, _) = try RecordLog.open(directory: dir + "-empty", name: "empty", configuration: TestLogs.small())
            try empty.close()
            defer { try? TestFiles.removeTree(dir + "-empty") }
            let emptyReport = try LogVerifier.verify(directory: dir + "-empty")
            #expect(emptyReport.isClean && emptyReport.segments == 1 && emptyReport.records == 0 && emptyReport.bytes == 0)
        }
    }

    /// Runs the verifier on the fixture's files (in `dir`) with one piece of damage to `file` and
    /// compares the problems (file name and position) with `expected`, then puts `file` back.
    private func expectProblems(
        _ fixture: RecoveryFixture, in dir: String, _ label: String, damaging file: String,
        expected: [(file: String, position: Int, says: String)],
        sourceLocation: SourceLocation = #_sourceLocation, damage: (String) throws -> Void
    ) async throws {
        try damage(dir + "/" + file)
        let report = try LogVerifier.verify(directory: dir)
        let found = report.problems.map { ($0.file, Int($0.position)) }
        let wanted = expected.map { (dir + "/" + $0.file, $0.position) }
        #expect(found.elementsEqual(wanted, by: ==), "\(label): \(report.problems)", sourceLocation: sourceLocation)
        for (problem, expectation) in zip(report.problems, expected) {
            #expect(problem.message.contains(expectation.says), "\(label): \(problem)", sourceLocation: sourceLocation)
        }
        try TestFiles.write(fixture.files[file]!, to: dir + "/" + file)
        await Task.yield()
    }

    /// The fixture, built in `dir/source` and copied to `dir/log` for damaging.
    private func makeFixture(_ dir: String) throws -> RecoveryFixture {
        let fixture = try RecoveryFixture(directory: dir + "/source")
        try TestFiles.restore(fixture.files, in: dir + "/log")
        return fixture
    }

    @Test func flippedPayloadBytes() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try makeFixture(dir)
            for (k, segment) in fixture.segments.enumerated() {
                // Every byte of the last segment, every eleventh byte of the others.
                for position in stride(from: 0, to: segment.data.count, by: k == fixture.segments.count - 1 ? 1 : 11) {
                    let record = fixture.record(of: segment, containing: position)
                    let offset = segment.base + UInt64(record)
                    let says = position < segment.positions[record] + 8 ? "offset \(offset): a size prefix" : "offset \(offset): a payload that fails its checksum"
                    try await expectProblems(
                        fixture, in: dir + "/log", "\(segment.dataName) byte \(position) flipped", damaging: segment.dataName,
                        expected: [(segment.dataName, segment.positions[record], says)]
                    ) { try FileDamage.flipByte($0, at: position, mask: 0x10) }
                }
            }
        }
    }

    @Test func flippedIndexBytes() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try makeFixture(dir)
            for (k, segment) in fixture.segments.enumerated() {
                // Every byte of the last segment's index; every seventh of the others (7 and 32 are
                // coprime, so every position within an entry is still hit).
                for position in stride(from: 0, to: segment.index.count, by: k == fixture.segments.count - 1 ? 1 : 7) {
                    let entry = position / 32
                    try await expectProblems(
                        fixture, in: dir + "/log", "\(segment.indexName) byte \(position) flipped", damaging: segment.indexName,
                        expected: [(segment.indexName, entry * 32, "offset \(segment.base + UInt64(entry)): index entry fails its checksum")]
                    ) { try FileDamage.flipByte($0, at: position, mask: 0x04) }
                }
            }
        }
    }

    @Test func truncatedData() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try makeFixture(dir)
            for (k, segment) in fixture.segments.enumerated() {
                for size in stride(from: 0, to: segment.data.count, by: k == fixture.segments.count - 1 ? 1 : 13) {
                    // Every record that no longer fits is reported, at its own position.
                    let cut = segment.positions.indices.filter { segment.ends[$0] > size }
                    try await expectProblems(
                        fixture, in: dir + "/log", "\(segment.dataName) cut to \(size)", damaging: segment.dataName,
                        expected: cut.map { (segment.dataName, segment.positions[$0], "offset \(segment.base + UInt64($0)): a record that runs past the end") }
                    ) { try FileDamage.truncate($0, to: size) }
                }
            }
        }
    }

    @Test func extraDataAndIndexBytes() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try makeFixture(dir)
            for segment in fixture.segments {
                for extra in [1, 2, 7, 8, 9, 100] {
                    try await expectProblems(
                        fixture, in: dir + "/log", "\(extra) bytes after \(segment.dataName)", damaging: segment.dataName,
                        expected: [(segment.dataName, segment.data.count, "\(extra) data bytes follow the last indexed record")]
                    ) { try FileDamage.append([UInt8](repeating: 0x33, count: extra), to: $0) }
                }
                for extra in [1, 5, 31] {
                    try await expectProblems(
                        fixture, in: dir + "/log", "\(extra) bytes after \(segment.indexName)", damaging: segment.indexName,
                        expected: [(segment.indexName, segment.index.count, "index ends with a partial entry of \(extra) bytes")]
                    ) { try FileDamage.extendWithZeros($0, by: extra) }
                }
            }
        }
    }

    @Test func missingFiles() async throws {
        try await withTemporaryDirectory { dir in
            let fixture = try makeFixture(dir)
            for (k, segment) in fixture.segments.enumerated() {
                for (gone, left, partner) in [(segment.indexName, segment.dataName, "index"), (segment.dataName, segment.indexName, "data")] {
                    var expected = [(left, 0, "segment file without its \(partner) file")]
                    if k > 0 && k + 1 < fixture.segments.count {
                        // The records of a missing segment in the middle leave a gap in the offsets.
                        let next = fixture.segments[k + 1]
                        expected.append((next.dataName, 0, "offsets jump from \(segment.base) to \(next.base)"))
                    }
                    try await expectProblems(fixture, in: dir + "/log", "\(gone) missing", damaging: gone, expected: expected) {
                        try TestFiles.remove($0)
                    }
                }
            }
        }
    }
}
