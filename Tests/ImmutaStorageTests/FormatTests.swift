import ImmutaStorage
import ImmutaTestSupport
import Testing

/// The on-disk format: data files are the seed format byte for byte, index entries are the
/// documented 32-byte layout, and every entry guards itself with a checksum.
@Suite(.timeLimit(.minutes(10))) struct FormatTests {
    @Test func dataFilesAreExactlyTheSeedFormat() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "format log", configuration: TestLogs.small())
            let model = try TestLogs.fill(log, segments: 3, tailBatches: [2, 1])
            try log.close()

            let segments = try segmentFiles(in: dir)
            #expect(segments.count == 3)
            for (i, segment) in segments.enumerated() {
                let end = i + 1 < segments.count ? segments[i + 1].baseOffset : model.nextOffset
                let records = model.records.filter { $0.offset >= segment.baseOffset && $0.offset < end }
                // Built by hand, not with the engine's framing: an 8-byte little-endian size, then the payload.
                var expected: [UInt8] = []
                for record in records {
                    let size = UInt64(record.payload.count)
                    for shift in stride(from: 0, to: 64, by: 8) { expected.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
                    expected += record.payload
                }
                #expect(try TestFiles.read(segment.dataPath) == expected, "data file \(segment.dataName)")
                #expect(segment.dataName == String(repeating: "0", count: 20 - String(segment.baseOffset).count) + "\(segment.baseOffset).log")
            }
        }
    }

    @Test func indexEntriesFollowTheDocumentedLayout() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "format log", configuration: TestLogs.small())
            let model = try TestLogs.fill(log, segments: 2, tailBatches: [3, 1, 4])
            try log.close()

            let segments = try segmentFiles(in: dir)
            var checked = 0
            for (i, segment) in segments.enumerated() {
                let end = i + 1 < segments.count ? segments[i + 1].baseOffset : model.nextOffset
                let index = try TestFiles.read(segment.indexPath)
                #expect(index.count == Int(end - segment.baseOffset) * 32)
                var position: UInt64 = 0
                for batch in model.batches where batch.firstOffset >= segment.baseOffset && batch.firstOffset < end {
                    for (j, payload) in batch.payloads.enumerated() {
                        let at = Int(batch.firstOffset - segment.baseOffset + UInt64(j)) * 32
                        let entry = Array(index[at..<(at + 32)])
                        #expect(Payloads.loadLittleEndian(entry, at: 0, width: 8) == position)
                        #expect(Int64(bitPattern: Payloads.loadLittleEndian(entry, at: 8, width: 8)) == batch.timestamp)
                        #expect(Payloads.loadLittleEndian(entry, at: 16, width: 4) == UInt64(payload.count))
                        #expect(Payloads.loadLittleEndian(entry, at: 20, width: 4) == UInt64(ReferenceCRC32C.checksum(payload)))
                        #expect(Payloads.loadLittleEndian(entry, at: 24, width: 4) == (j == batch.count - 1 ? 1 : 0))
                        #expect(Payloads.loadLittleEndian(entry, at: 28, width: 4) == UInt64(ReferenceCRC32C.checksum(entry[0..<28])))
                        position += 8 + UInt64(payload.count)
                        checked += 1
                    }
                }
            }
            #expect(checked == model.records.count)
        }
    }

    @Test func entryChecksumDetectsEveryFlippedByteAndBit() {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<20 {
            let entry = IndexEntry(
                position: .random(in: 0...(1 << 40), using: &random), timestamp: .random(in: 0...Int64.max, using: &random),
                length: .random(in: 0...UInt32.max, using: &random), checksum: .random(in: 0...UInt32.max, using: &random),
                flags: .random(in: 0...1, using: &random))
            var bytes = [UInt8](repeating: 0xAA, count: 64)
            bytes.withUnsafeMutableBytes { entry.encode(into: $0, at: 16) }
            #expect(bytes.withUnsafeBytes { IndexEntry.decode($0, at: 16) } == entry)
            #expect(bytes[0..<16].allSatisfy { $0 == 0xAA } && bytes[48...].allSatisfy { $0 == 0xAA }, "encode writes 32 bytes only")
            for position in 16..<48 {
                for mask in [0xFF] + (0..<8).map({ UInt8(1) << $0 }) as [UInt8] {
                    var damaged = bytes
                    damaged[position] ^= mask
                    #expect(damaged.withUnsafeBytes { IndexEntry.decode($0, at: 16) } == nil, "byte \(position - 16) mask \(mask)")
                }
            }
        }
        // An all-zero entry (a zero-filled index tail) is never mistaken for a valid one.
        #expect([UInt8](repeating: 0, count: 32).withUnsafeBytes { IndexEntry.decode($0, at: 0) } == nil)
    }

    @Test func checksumsAgreeWithTheReference() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        var random = SeededGenerator(seed: 3)
        for length in [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4099] {
            let bytes = Payloads.random(length, using: &random)
            let reference = ReferenceCRC32C.checksum(bytes)
            #expect(CRC32C.checksum(bytes) == reference, "length \(length)")
            // Unaligned starts exercise the byte-at-a-time prologue of both implementations.
            for start in 0..<min(8, length) {
                let tail = Array(bytes[start...])
                #expect(tail.withUnsafeBytes { CRC32C.portableChecksum($0) } == ReferenceCRC32C.checksum(tail))
                #expect(CRC32C.checksum(bytes[start...]) == ReferenceCRC32C.checksum(tail))
            }
        }
    }
}
