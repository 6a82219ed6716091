import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Decodes a request and returns the protocol error it throws, recording an issue when it does not.
private func requestError(_ frame: Frame, sourceLocation: SourceLocation = #_sourceLocation) -> ProtocolError? {
    #expect(throws: ProtocolError.self, sourceLocation: sourceLocation) { try Request(frame: frame) }
}

/// The body of a FETCH for topic "t" with a raw start kind.
private func fetchBody(kind: UInt8) -> [UInt8] {
    var body = ByteBuffer()
    body.writeWireString("t")
    body.writeWire(kind)
    body.writeWire(UInt64(5))
    body.writeWire(UInt32(1))
    body.writeWire(UInt32(2))
    body.writeWire(UInt32(3))
    return Array(body.readableBytesView)
}

@Suite("Request validation", .timeLimit(.minutes(5)))
struct RequestValidationTests {
    @Test("every opcode that is not a request is refused as unknown_opcode")
    func unknownOpcodes() {
        let known = Set(requestOpcodes.map(\.rawValue))
        for raw in UInt8.min...UInt8.max where !known.contains(raw) {
            for body: [UInt8] in [[], [0, 0, 0, 0, 0, 0, 0, 0]] {
                let error = requestError(rawFrame(Opcode(rawValue: raw), body: body))
                #expect(error?.code == .unknownOpcode, "opcode 0x\(String(raw, radix: 16))")
                #expect(error?.code.isFatal == true)
            }
        }
    }

    @Test("every request body cut at every byte is invalid_request, never a crash", arguments: sampleRequests)
    func truncatedBodies(_ request: Request) {
        let body = request.frame(requestID: 1).body
        // A GROUP_JOIN's last field is optional: without its 4 bytes it is a valid join too.
        var optionalTail = 0
        if case .group(.join(let topic, let group, let start, let settings, let limit)) = request, limit != 0 {
            optionalTail = 4
            let shorter = Frame(opcode: request.opcode, requestID: 1, body: body.getSlice(at: body.readerIndex, length: body.readableBytes - 4)!)
            #expect((try? Request(frame: shorter)) == .group(.join(topic: topic, group: group, start: start, settings: settings)))
        }
        for cut in cutPositions(body.readableBytes) where cut != body.readableBytes - optionalTail || optionalTail == 0 {
            let frame = Frame(opcode: request.opcode, requestID: 1, body: body.getSlice(at: body.readerIndex, length: cut)!)
            let error = requestError(frame)
            #expect(error?.code == .invalidRequest, "\(request.opcode) cut at \(cut) of \(body.readableBytes)")
            #expect(error?.code.isFatal == false)
        }
    }

    @Test("bytes after a complete body are invalid_request", arguments: sampleRequests)
    func trailingBytes(_ request: Request) {
        for extra: [UInt8] in [[0], [0xFF, 0xFF], Array(repeating: 0, count: 8)] {
            var body = request.frame(requestID: 1).body
            body.writeBytes(extra)
            let error = requestError(Frame(opcode: request.opcode, requestID: 1, body: body))
            #expect(error?.code == .invalidRequest, "\(request.opcode) + \(extra.count) bytes")
        }
    }

    @Test(
        "invalid UTF-8 in a string is invalid_request",
        arguments: [[0xFF], [0xC0, 0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0x61, 0x80], [0xF4, 0x90, 0x80, 0x80]] as [[UInt8]])
    func invalidUTF8(_ bad: [UInt8]) {
        var name = ByteBuffer()
        name.writeWire(UInt16(bad.count))
        name.writeBytes(bad)
        let nameBytes = Array(name.readableBytesView)
        var frames: [Frame] = [
            rawFrame(.deleteTopic, body: nameBytes),
            rawFrame(.describeTopic, body: nameBytes),
            rawFrame(.hello, body: [1, 0, 1, 0] + nameBytes),
            rawFrame(.produce, body: nameBytes + [0, 0, 0, 0, 0]),
        ]
        var config = ByteBuffer()
        config.writeWireString("ok")
        config.writeRepeatingByte(0, count: 32)
        config.writeBytes(nameBytes)
        frames.append(Frame(opcode: .createTopic, requestID: 1, body: config))
        for frame in frames {
            let error = requestError(frame)
            #expect(error?.code == .invalidRequest, "\(frame.opcode)")
            #expect(error?.message.contains("UTF-8") == true)
        }
    }

    @Test("a string longer than its body is invalid_request")
    func stringLongerThanBody() {
        let error = requestError(rawFrame(.describeTopic, body: [0xFF, 0xFF, 0x61, 0x62]))
        #expect(error?.code == .invalidRequest)
    }

    @Test("start kinds other than 0 to 3 are invalid_request", arguments: [4, 5, 0x7F, 0x80, 0xFF] as [UInt8])
    func badStartKind(_ kind: UInt8) {
        let fetch = requestError(rawFrame(.fetch, body: fetchBody(kind: kind)))
        #expect(fetch?.code == .invalidRequest)
        #expect(fetch?.message.contains("start kind") == true)

        var subscribe = ByteBuffer()
        subscribe.writeWireString("t")
        subscribe.writeWire(kind)
        subscribe.writeWire(UInt64(0))
        subscribe.writeWire(UInt32(1))
        subscribe.writeWire(UInt64(1))
        #expect(requestError(Frame(opcode: .subscribe, requestID: 1, body: subscribe))?.code == .invalidRequest)
    }

    @Test("the valid start kinds decode", arguments: [0, 1, 2, 3] as [UInt8])
    func goodStartKind(_ kind: UInt8) throws {
        let request = try Request(frame: rawFrame(.fetch, body: fetchBody(kind: kind)))
        let expected: [WireStart] = [.earliest, .latest, .offset(5), .timestamp(5)]
        #expect(request == .fetch(topic: "t", start: expected[Int(kind)], maxRecords: 1, maxBytes: 2, waitMilliseconds: 3))
    }

    @Test("ack values other than 0 and 1 are invalid_request", arguments: [2, 3, 0x80, 0xFF] as [UInt8])
    func badAck(_ ack: UInt8) {
        var body = ByteBuffer()
        body.writeWireString("t")
        body.writeWire(ack)
        body.writeWire(UInt32(0))
        let error = requestError(Frame(opcode: .produce, requestID: 1, body: body))
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("ack") == true)
    }

    @Test("a produce whose count does not match its records is invalid_request")
    func produceCountMismatch() {
        let cases: [(UInt32, ByteBuffer)] = [
            (1, ByteBuffer()),
            (0, seedRecords([[1]])),
            (2, seedRecords([[1]])),
            (1, seedRecords([[1], [2]])),
            (.max, seedRecords([[], [], []])),
        ]
        for (count, records) in cases {
            var body = ByteBuffer()
            body.writeWireString("t")
            body.writeWire(WireAck.write.rawValue)
            body.writeWire(count)
            var records = records
            body.writeBuffer(&records)
            let error = requestError(Frame(opcode: .produce, requestID: 1, body: body))
            #expect(error?.code == .invalidRequest, "count \(count)")
        }
    }

    @Test("a produce record whose size runs past the frame is invalid_request")
    func produceSizeOverrun() {
        for size: UInt64 in [1, 1 << 32, .max] {
            var body = ByteBuffer()
            body.writeWireString("t")
            body.writeWire(WireAck.fsync.rawValue)
            body.writeWire(UInt32(1))
            body.writeWire(size)
            let error = requestError(Frame(opcode: .produce, requestID: 1, body: body))
            #expect(error?.code == .invalidRequest, "size \(size)")
        }
    }

    @Test("fuzzed bodies never crash the request decoder")
    func fuzz() {
        var generator = SeededGenerator(seed: 0x1A2B)
        for _ in 0..<20_000 {
            let opcode = requestOpcodes.randomElement(using: &generator)!
            let length = Int.random(in: 0...48, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Small string lengths make it past the first field more often.
            if bytes.count >= 2 && Bool.random(using: &generator) { bytes[1] = 0 }
            if bytes.count >= 2 && Bool.random(using: &generator) { bytes[0] = bytes[0] % 8 }
            do {
                let request = try Request(frame: rawFrame(opcode, body: bytes))
                // Whatever decodes must encode back to the same bytes, except that earliest and
                // latest drop their value field.
                let again = request.frame(requestID: 7).body
                if case .fetch(_, .offset, _, _, _) = request { #expect(Array(again.readableBytesView) == bytes) }
                if case .credit = request { #expect(Array(again.readableBytesView) == bytes) }
            } catch let error as ProtocolError {
                #expect(error.code == .invalidRequest)
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }
}
