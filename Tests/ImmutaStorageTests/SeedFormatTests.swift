import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Import and export of the original library's files: plain records, or a 16-byte header (record
/// count, then the byte position of the last record's size prefix) followed by plain records.
@Suite(.timeLimit(.minutes(10))) struct SeedFormatTests {
    /// The seed-format bytes of a whole log: its data files, one after the other.
    private func concatenatedData(_ dir: String) throws -> [UInt8] {
        try segmentFiles(in: dir).flatMap { try TestFiles.read($0.dataPath) }
    }

    /// A header file for `records` (plain seed bytes holding `count` records, the last at `last`).
    private func withHeader(_ records: [UInt8], count: UInt64, lastRecordAt last: Int?) -> [UInt8] {
        Payloads.littleEndian(count) + Payloads.littleEndian(UInt64(last.map { 16 + $0 } ?? 0)) + records
    }

    @Test func exportOfAnyRangeIsTheOriginalBytes() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir + "/log", name: "seed log", configuration: TestLogs.small())
            let model = try TestLogs.fill(log, segments: 3, tailBatches: [3])
            let records = model.records
            let original = try concatenatedData(dir + "/log")
            // Position of each record's size prefix in the concatenated data, plus the end.
            var positions = [0]
            for record in records { positions.append(positions.last! + 8 + record.payload.count) }
            #expect(original == Payloads.framed(records.map(\.payload)))

            let n = records.count
            let ranges = [(0, n), (0, 0), (n, n), (0, 1), (n - 1, n)] + stride(from: 0, to: n, by: 7).flatMap { a in
                stride(from: a, through: n, by: 11).map { (a, $0) }
            }
            let file = dir + "/export"
            for (a, b) in ranges {
                let bytes = Array(original[positions[a]..<positions[b]])
                #expect(try SeedFormat.export(log, offsets: UInt64(a)..<UInt64(b), to: file) == UInt64(b - a))
                #expect(try TestFiles.read(file) == bytes, "plain export of \(a)..<\(b)")
                try SeedFormat.export(log, offsets: UInt64(a)..<UInt64(b), to: file, layout: .header)
                let header = withHeader(bytes, count: UInt64(b - a), lastRecordAt: b > a ? positions[b - 1] - positions[a] : nil)
                #expect(try TestFiles.read(file) == header, "header export of \(a)..<\(b)")
            }
            #expect(throws: StorageError.offsetBeyondEnd(offset: UInt64(n), next: UInt64(n))) {
                try SeedFormat.export(log, offsets: 0..<UInt64(n + 1), to: file)
            }
            try log.close()
        }
    }

    @Test func importThenExportRoundTripsBothLayouts() async throws {
        try await withTemporaryDirectory { dir in
            var random = SeededGenerator(seed: 17)
            for (i, count) in [1, 2, 5, 40, 300].enumerated() {
                let payloads = Payloads.random(count: count, sizes: 0...200, using: &random)
                let plain = Payloads.framed(payloads)
                let last = plain.count - 8 - payloads.last!.count
                for layout in SeedLayout.allCases {
                    for batchBytes in [1, 100, 4 << 20] {
                        let file = dir + "/seed-\(i)-\(layout)"
                        let bytes = layout == .plain ? plain : withHeader(plain, count: UInt64(count), lastRecordAt: last)
                        try TestFiles.write(bytes, to: file)
                        #expect(try bytes.withUnsafeBytes { try SeedFormat.detectLayout($0, maxPayload: 1024) } == layout)

                        let logDir = dir + "/log-\(i)-\(layout)-\(batchBytes)"
                        let (log, _) = try RecordLog.open(directory: logDir, name: "import log", configuration: TestLogs.small())
                        try log.append([[1, 2, 3]])  // imports append after what is there
                        let result = try SeedFormat.importFile(file, into: log, batchBytes: batchBytes)
                        #expect(result.layout == layout && result.records == UInt64(count) && result.firstOffset == 1)
                        #expect(try readAll(log, from: 1).map(\.payload) == payloads)

                        let out = dir + "/out"
                        try SeedFormat.export(log, offsets: 1..<(1 + UInt64(count)), to: out, layout: layout)
                        #expect(try TestFiles.read(out) == bytes, "\(layout) round trip of \(count) records")
                        try log.close()
                        // Data files hold the records as they were in the file.
                        #expect(try concatenatedData(logDir) == Payloads.framed([[1, 2, 3]]) + plain)
                        #expect(try LogVerifier.verify(directory: logDir).isClean)
                        try TestFiles.removeTree(logDir)
                    }
                }
            }
        }
    }

    @Test func emptyFiles() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir + "/log", name: "import log", configuration: TestLogs.small())
            try TestFiles.write([], to: dir + "/empty")
            let empty = try SeedFormat.importFile(dir + "/empty", into: log)
            #expect(empty.layout == .plain && empty.records == 0 && empty.firstOffset == 0)
            // An empty header file is 16 zero bytes, which also read as two empty plain records:
            // auto-detection takes them as plain; with the layout given, they import as nothing.
            try TestFiles.write([UInt8](repeating: 0, count: 16), to: dir + "/empty-header")
            let emptyHeader = try SeedFormat.importFile(dir + "/empty-header", into: log, layout: .header)
            #expect(emptyHeader.layout == .header && emptyHeader.records == 0 && emptyHeader.firstOffset == 0)
            #expect(log.bounds.nextOffset == 0)
            try SeedFormat.export(log, offsets: 0..<0, to: dir + "/out", layout: .header)
            #expect(try TestFiles.read(dir + "/out") == [UInt8](repeating: 0, count: 16))
            try log.close()
        }
    }

    @Test func plainFileThatLooksLikeAHeaderCount() async throws {
        // The first record has an 8-byte payload and 8 records follow: its size prefix reads as a
        // count of 8 that matches. Only the header's second field tells the layouts apart.
        try await withTemporaryDirectory { dir in
            var random = SeededGenerator(seed: 19)
            let rest = Payloads.random(count: 8, sizes: 1...30, using: &random)
            let payloads = [Payloads.random(8, using: &random)] + rest
            let file = dir + "/plain"
            try TestFiles.write(Payloads.framed(payloads), to: file)
            let (log, _) = try RecordLog.open(directory: dir + "/log", name: "import log", configuration: TestLogs.small())
            let result = try SeedFormat.importFile(file, into: log)
            #expect(result.layout == .plain && result.records == 9)
            #expect(try readAll(log).map(\.payload) == payloads)
            try log.close()
        }
    }

    @Test func malformedFilesAreRejectedWithNothingAppended() async throws {
        try await withTemporaryDirectory { dir in
            var random = SeededGenerator(seed: 23)
            let payloads = Payloads.random(count: 6, sizes: 1...40, using: &random)
            let plain = Payloads.framed(payloads)
            let last = plain.count - 8 - payloads.last!.count
            let header = withHeader(plain, count: 6, lastRecordAt: last)
            var cases: [(label: String, bytes: [UInt8], layouts: [SeedLayout?])] = []
            // Cut inside the last record (its size prefix or its payload), in both layouts.
            for cut in (last + 1)..<plain.count {
                cases.append(("plain cut to \(cut)", Array(plain[0..<cut]), [nil, .plain]))
                cases.append(("header file cut to \(16 + cut)", Array(header[0..<(16 + cut)]), [nil, .plain, .header]))
            }
            // A record over the log's limit (100 bytes), first or last.
            let big = Payloads.random(101, using: &random)
            cases.append(("record over the limit first", Payloads.framed([big] + payloads), [nil, .plain]))
            cases.append(("record over the limit last", Payloads.framed(payloads + [big]), [nil, .plain]))
            // A header that does not match its records.
            for count: UInt64 in [0, 5, 7, 1 << 40] {
                cases.append(("header count \(count)", withHeader(plain, count: count, lastRecordAt: last), [.header]))
            }
            for position in [0, last - 1, last + 1, plain.count] {
                cases.append(("header last position \(position)", withHeader(plain, count: 6, lastRecordAt: position), [.header]))
            }
            for length in 1..<16 {
                cases.append(("\(length)-byte file as header", [UInt8](repeating: 0, count: length), [.header]))
            }
            for length in 1..<8 {
                cases.append(("\(length) garbage bytes", Payloads.random(length, using: &random), [nil, .plain]))
            }
            cases.append(("a size prefix with the top bit set", Payloads.littleEndian(UInt64(1) << 63) + [1, 2, 3], [nil, .plain]))

            let (log, _) = try RecordLog.open(
                directory: dir + "/log", name: "import log", configuration: TestLogs.small(maxRecordBytes: 100))
            try log.append([[7]])
            let before = try TestFiles.snapshot(dir + "/log")
            let file = dir + "/bad"
            for (label, bytes, layouts) in cases {
                try TestFiles.write(bytes, to: file)
                for layout in layouts {
                    do {
                        let result = try SeedFormat.importFile(file, into: log, layout: layout)
                        Issue.record("\(label) [\(layout.map(\.rawValue) ?? "auto")]: imported \(result)")
                    } catch let error as StorageError {
                        guard case .malformedRecords(let reason) = error else {
                            Issue.record("\(label): \(error) instead of .malformedRecords")
                            continue
                        }
                        #expect(String(describing: error).hasPrefix("malformed records: "))
                        #expect(!reason.isEmpty)
                    }
                    #expect(log.bounds.nextOffset == 1, "\(label): records were appended")
                }
            }
            #expect(try TestFiles.snapshot(dir + "/log") == before)
            try log.close()
        }
    }
}
