import ImmutaProtocol
import NIOCore
import Testing

/// Decodes with the library and returns its error, recording an issue when there is none.
private func corruption(
    _ header: WireRecordsHeader, index: ByteBuffer, data: ByteBuffer, sourceLocation: SourceLocation = #_sourceLocation
) -> ProtocolError? {
    #expect(throws: ProtocolError.self, sourceLocation: sourceLocation) { try header.records(index: index, data: data) }
}

@Suite("Records decoding", .timeLimit(.minutes(5)))
struct RecordsDecodingTests {
    @Test(
        "records decode with offsets, timestamps and payloads",
        arguments: [0, 21, 4096, 1 << 40] as [UInt64])
    func decodes(basePosition: UInt64) throws {
        let payloads: [[UInt8]] = [Array("hi".utf8), [], Array(repeating: 0xEE, count: 5000), Array("🚀".utf8)]
        let parts = recordsParts(payloads, basePosition: basePosition, timestamp: 1234)
        let header = WireRecordsHeader(firstOffset: 90, count: UInt32(payloads.count), logEndOffset: 100)
        let records = try header.records(index: parts.index, data: parts.data)
        #expect(records.map(\.offset) == [90, 91, 92, 93])
        #expect(records.map(\.timestamp) == [1234, 1234, 1234, 1234])
        #expect(records.map { Array($0.payload.readableBytesView) } == payloads)
        // The reference decoder written from PROTOCOL.md agrees.
        #expect(try verifyRecords(header, index: parts.index, data: parts.data).map(\.payload) == payloads)
    }

    @Test("an empty response has no records")
    func empty() throws {
        let header = WireRecordsHeader(firstOffset: 5, count: 0, logEndOffset: 5)
        #expect(try header.records(index: ByteBuffer(), data: ByteBuffer()).isEmpty)
    }

    @Test("a records body decoded from a frame keeps working after the frame's buffer is reused")
    func fromFrame() throws {
        let parts = recordsParts([Array("abc".utf8), Array("defg".utf8)], basePosition: 77)
        let header = WireRecordsHeader(firstOffset: 3, count: 2, logEndOffset: 5)
        let frame = try throughWire(Response.delivery(header, index: parts.index, data: parts.data).frame(requestID: 4))
        guard case .delivery(let decoded, let index, let data) = try Response(frame: frame) else {
            Issue.record("not DELIVERY")
            return
        }
        let records = try decoded.records(index: index, data: data)
        #expect(records.map { String(buffer: $0.payload) } == ["abc", "defg"])
    }

    @Test("a flipped bit anywhere is corrupt_data")
    func everyBitFlip() {
        let payloads: [[UInt8]] = [Array("hello".utf8), Array("world!".utf8)]
        let parts = recordsParts(payloads, basePosition: 4096)
        let header = WireRecordsHeader(firstOffset: 0, count: 2, logEndOffset: 2)
        for at in 0..<parts.index.readableBytes {
            for bit in 0..<8 {
                var index = parts.index
                index.setInteger(index.getInteger(at: at, as: UInt8.self)! ^ (1 << bit), at: at)
                #expect(corruption(header, index: index, data: parts.data)?.code == .corruptData, "index byte \(at)")
            }
        }
        for at in 0..<parts.data.readableBytes {
            var data = parts.data
            data.setInteger(data.getInteger(at: at, as: UInt8.self)! ^ 0x80, at: at)
            #expect(corruption(header, index: parts.index, data: data)?.code == .corruptData, "data byte \(at)")
        }
    }

    @Test("a missing or extra byte in the data part is corrupt_data")
    func dataLength() {
        let parts = recordsParts([Array("abc".utf8)])
        let header = WireRecordsHeader(firstOffset: 0, count: 1, logEndOffset: 1)
        var longer = parts.data
        longer.writeInteger(UInt8(0))
        #expect(corruption(header, index: parts.index, data: longer)?.code == .corruptData)
        for cut in 0..<parts.data.readableBytes {
            let shorter = parts.data.getSlice(at: parts.data.readerIndex, length: cut)!
            #expect(corruption(header, index: parts.index, data: shorter)?.code == .corruptData, "cut at \(cut)")
        }
    }

    @Test("an index part of the wrong size is corrupt_data")
    func indexLength() {
        let parts = recordsParts([Array("abc".utf8), Array("de".utf8)])
        for count: UInt32 in [1, 3, .max] {
            let header = WireRecordsHeader(firstOffset: 0, count: count, logEndOffset: 3)
            #expect(corruption(header, index: parts.index, data: parts.data)?.code == .corruptData, "count \(count)")
        }
    }

    @Test("entries with valid checksums but impossible positions are corrupt_data, not a crash")
    func impossiblePositions() {
        let payload: [UInt8] = Array("abc".utf8)
        let crc = crc32c(payload)
        let data = seedRecords([payload, payload])
        let cases: [(UInt64, UInt64)] = [
            (100, 50),  // second record before the first
            (100, 100),  // both at the same position
            (100, 112),  // a gap
            (100, 110),  // overlapping
            (0, .max),  // far past the data
            (.max, 10),  // wraps around
        ]
        for (first, second) in cases {
            var index = ByteBuffer()
            index.writeBytes(indexEntry(position: first, timestamp: 1, length: 3, checksum: crc, flags: 0))
            index.writeBytes(indexEntry(position: second, timestamp: 1, length: 3, checksum: crc, flags: 1))
            let header = WireRecordsHeader(firstOffset: 0, count: 2, logEndOffset: 2)
            #expect(corruption(header, index: index, data: data)?.code == .corruptData, "positions \(first), \(second)")
        }
    }

    @Test("an entry whose length disagrees with the size prefix is corrupt_data")
    func lengthMismatch() {
        let payload: [UInt8] = Array("abcd".utf8)
        for length: UInt32 in [0, 3, 5, .max] {
            var index = ByteBuffer()
            index.writeBytes(indexEntry(position: 0, timestamp: 1, length: length, checksum: crc32c(payload), flags: 1))
            let header = WireRecordsHeader(firstOffset: 0, count: 1, logEndOffset: 1)
            #expect(corruption(header, index: index, data: seedRecords([payload]))?.code == .corruptData, "length \(length)")
        }
    }

    @Test("a first_offset near the top of the range does not trap")
    func offsetOverflow() throws {
        let parts = recordsParts([[1], [2], [3]])
        let header = WireRecordsHeader(firstOffset: .max, count: 3, logEndOffset: .max)
        let records = try header.records(index: parts.index, data: parts.data)
        #expect(records.count == 3)
        #expect(records.first?.offset == .max)
    }
}
