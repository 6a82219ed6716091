import ImmutaProtocol
import NIOCore
import Testing

private let sampleInfo = WireTopicInfo(
    name: "orders", config: WireTopicConfig(segmentBytes: 64 << 20, maxRecordBytes: 8 << 20, durability: "fsync"),
    earliestOffset: 0, nextOffset: 42, bytes: 4096, segments: 1, createdAt: 1_700_000_000_000_000_000)

private let extremeInfo = WireTopicInfo(
    name: "名前-🚀",
    config: WireTopicConfig(
        segmentBytes: .max, maxRecordBytes: .max, retentionBytes: .max, retentionMilliseconds: .min,
        durability: "interval:3600000"),
    earliestOffset: .max, nextOffset: .max, bytes: .max, segments: .max, createdAt: .min)

private let emptyInfo = WireTopicInfo(
    name: "", config: WireTopicConfig(), earliestOffset: 0, nextOffset: 0, bytes: 0, segments: 0, createdAt: 0)

func recordsResponse(
    delivery: Bool, firstOffset: UInt64, logEnd: UInt64, _ payloads: [[UInt8]]
) -> Response {
    let parts = recordsParts(payloads)
    let header = WireRecordsHeader(firstOffset: firstOffset, count: UInt32(payloads.count), logEndOffset: logEnd)
    return delivery
        ? .delivery(header, index: parts.index, data: parts.data) : .records(header, index: parts.index, data: parts.data)
}

/// Several values of every response case.
var sampleResponses: [Response] { topicResponses + sampleGroupResponses + sampleAccessResponses + sampleMirrorResponses }

private let topicResponses: [Response] = [
    .ok,
    .helloOK(version: 1, server: "immutad 0.1.0", maxFrameLength: 16_842_752, maxRecordBytes: 8 << 20),
    .helloOK(version: 0, server: "", maxFrameLength: 0, maxRecordBytes: 0),
    .helloOK(version: .max, server: "サーバー", maxFrameLength: .max, maxRecordBytes: .max),
    .pong,
    .stats([]),
    .stats([.init(name: "uptime_ms", value: 1234), .init(name: "connections", value: 1)]),
    .stats([.init(name: "", value: .min), .init(name: "ü", value: .max), .init(name: "x", value: -1)]),
    .topicInfo(sampleInfo),
    .topicInfo(extremeInfo),
    .topicInfo(emptyInfo),
    .topicList([]),
    .topicList([sampleInfo]),
    .topicList([sampleInfo, extremeInfo, emptyInfo]),
    .produced(firstOffset: 0, count: 0, timestamp: 0),
    .produced(firstOffset: 42, count: 2, timestamp: 1_700_000_000_000_000_000),
    .produced(firstOffset: .max, count: .max, timestamp: .min),
    .producedIdempotent(firstOffset: 7, count: 3, timestamp: 1, duplicate: true),
    .producedIdempotent(firstOffset: .max, count: .max, timestamp: .min, duplicate: false),
    recordsResponse(delivery: false, firstOffset: 7, logEnd: 7, []),
    recordsResponse(delivery: false, firstOffset: 0, logEnd: 2, [Array("hi".utf8), Array("abc".utf8)]),
    recordsResponse(delivery: false, firstOffset: .max - 3, logEnd: .max, [[], [0], Array(repeating: 0x5A, count: 70_000)]),
    .subscribed(startOffset: 0),
    .subscribed(startOffset: .max),
    recordsResponse(delivery: true, firstOffset: 0, logEnd: 0, []),
    recordsResponse(delivery: true, firstOffset: 100, logEnd: 150, [Array("ünïcödé 🚀".utf8)]),
    recordsResponse(delivery: true, firstOffset: 1, logEnd: .max, [[], [], []]),
    .error(ProtocolError(.topicNotFound, "topic \"orders\" does not exist")),
    .error(ProtocolError(.malformedFrame, "")),
    .error(ProtocolError(ErrorCode(rawValue: .max), "a code this client does not know: ✓")),
    .error(ProtocolError(ErrorCode(rawValue: 0), "zero")),
]

@Suite("Response codec", .timeLimit(.minutes(5)))
struct ResponseCodecTests {
    @Test("every response round-trips through a frame", arguments: sampleResponses)
    func roundTrip(_ response: Response) throws {
        for requestID: UInt32 in [0, 1, 0xDEAD_BEEF, .max] {
            let frame = try throughWire(response.frame(requestID: requestID))
            #expect(frame.opcode == response.opcode)
            #expect(frame.opcode.isResponse)
            #expect(frame.requestID == requestID)
            #expect(try Response(frame: frame) == response)
        }
    }

    @Test("encoding in one pass gives the same bytes as building the frame first", arguments: sampleResponses)
    func onePassEncoding(_ response: Response) {
        var expected = ByteBuffer()
        response.frame(requestID: 42).encode(into: &expected)
        var actual = ByteBuffer()
        response.encodeFrame(requestID: 42, into: &actual)
        #expect(actual == expected)
    }

    @Test("the sample covers every response opcode")
    func coversEveryOpcode() {
        #expect(Set(sampleResponses.map(\.opcode.rawValue)) == Set(responseOpcodes.map(\.rawValue)))
    }

    @Test("request and response opcodes are told apart by the high bit")
    func highBit() {
        for opcode in requestOpcodes { #expect(!opcode.isResponse, "\(opcode)") }
        for opcode in responseOpcodes { #expect(opcode.isResponse, "\(opcode)") }
    }

    @Test("a decoded RECORDS body verifies end to end, record by record")
    func recordsVerify() throws {
        let payloads: [[UInt8]] = [Array("hi".utf8), [], Array(repeating: 7, count: 1000), Array("🚀".utf8)]
        let parts = recordsParts(payloads, basePosition: 123_456, batchEnds: [1, 3])
        let header = WireRecordsHeader(firstOffset: 50, count: 4, logEndOffset: 60)
        let frame = try throughWire(Response.records(header, index: parts.index, data: parts.data).frame(requestID: 9))
        guard case .records(let decoded, let index, let data) = try Response(frame: frame) else {
            Issue.record("not RECORDS")
            return
        }
        #expect(decoded == header)
        let records = try verifyRecords(decoded, index: index, data: data)
        #expect(records.map(\.payload) == payloads)
        #expect(records.map(\.offset) == [50, 51, 52, 53])
        #expect(records.map(\.isBatchEnd) == [false, true, false, true])
    }

    @Test("end-to-end verification catches a flipped bit anywhere in the index or the data")
    func recordsCorruptionDetected() throws {
        let payloads: [[UInt8]] = [Array("hello".utf8), Array("world!".utf8)]
        let parts = recordsParts(payloads)
        let header = WireRecordsHeader(firstOffset: 0, count: 2, logEndOffset: 2)
        #expect(throws: Never.self) { try verifyRecords(header, index: parts.index, data: parts.data) }
        for at in 0..<parts.index.readableBytes {
            var index = parts.index
            index.setInteger(index.getInteger(at: at, as: UInt8.self)! ^ 0x10, at: at)
            #expect(throws: TestFailure.self) { try verifyRecords(header, index: index, data: parts.data) }
        }
        for at in 0..<parts.data.readableBytes {
            var data = parts.data
            data.setInteger(data.getInteger(at: at, as: UInt8.self)! ^ 0x01, at: at)
            #expect(throws: TestFailure.self) { try verifyRecords(header, index: parts.index, data: data) }
        }
    }

    @Test("a RECORDS frame too short for its index entries is rejected")
    func recordsIndexTooShort() throws {
        var body = ByteBuffer()
        WireRecordsHeader(firstOffset: 0, count: 2, logEndOffset: 2).encode(into: &body)
        body.writeRepeatingByte(0, count: 63)
        for opcode: Opcode in [.records, .delivery] {
            #expect(throws: ProtocolError.self) { try Response(frame: Frame(opcode: opcode, requestID: 1, body: body)) }
        }
        var huge = ByteBuffer()
        WireRecordsHeader(firstOffset: 0, count: .max, logEndOffset: 0).encode(into: &huge)
        #expect(throws: ProtocolError.self) { try Response(frame: Frame(opcode: .records, requestID: 1, body: huge)) }
    }

    @Test("every response body cut short is an error, never a crash")
    func truncatedResponses() throws {
        for response in sampleResponses {
            let body = response.frame(requestID: 1).body
            for cut in cutPositions(body.readableBytes) {
                let frame = Frame(opcode: response.opcode, requestID: 1, body: body.getSlice(at: body.readerIndex, length: cut)!)
                // The data part of a records body runs to the end of the frame; only the header and
                // the index entries before it have a fixed size.
                let fixed: Int? =
                    switch response {
                    case .records(let header, _, _), .delivery(let header, _, _):
                        WireRecordsHeader.size + Int(header.count) * 32
                    case .groupDelivery(_, let header, _, _): 2 + WireRecordsHeader.size + Int(header.count) * 32
                    default: nil
                    }
                if let fixed, cut >= fixed {
                    #expect(throws: Never.self) { try Response(frame: frame) }
                    continue
                }
                #expect(throws: ProtocolError.self, "\(response.opcode) cut at \(cut)") { try Response(frame: frame) }
            }
        }
    }

    @Test("request opcodes are not responses")
    func requestOpcodesRejected() {
        for opcode in requestOpcodes {
            let error = #expect(throws: ProtocolError.self) { try Response(frame: rawFrame(opcode, body: [])) }
            #expect(error?.code == .unknownOpcode)
        }
    }

    @Test("a client accepts error codes it does not know")
    func unknownErrorCodes() throws {
        for code: UInt16 in [0, 6, 9, 25, 29, 32, 1000, .max] {
            var body = ByteBuffer()
            body.writeWire(code)
            body.writeWireString("something new")
            let response = try Response(frame: Frame(opcode: .error, requestID: 3, body: body))
            #expect(response == .error(ProtocolError(ErrorCode(rawValue: code), "something new")))
        }
    }

    @Test("error codes have stable numbers, names and fatality")
    func errorCodes() {
        let expected: [(ErrorCode, UInt16, String, Bool)] = [
            (.malformedFrame, 1, "malformed_frame", true), (.frameTooLarge, 2, "frame_too_large", true),
            (.unsupportedVersion, 3, "unsupported_version", true), (.helloRequired, 4, "hello_required", true),
            (.unknownOpcode, 5, "unknown_opcode", true), (.invalidRequest, 10, "invalid_request", false),
            (.topicNotFound, 11, "topic_not_found", false), (.topicExists, 12, "topic_exists", false),
            (.invalidName, 13, "invalid_name", false), (.recordTooLarge, 14, "record_too_large", false),
            (.offsetOutOfRange, 15, "offset_out_of_range", false), (.corruptData, 16, "corrupt_data", false),
            (.storageFailure, 17, "storage_failure", false), (.unknownSubscription, 18, "unknown_subscription", false),
            (.tooManySubscriptions, 19, "too_many_subscriptions", false), (.groupNotFound, 20, "group_not_found", false),
            (.notHeld, 21, "not_held", false), (.commitBackwards, 22, "commit_backwards", false),
            (.groupBusy, 23, "group_busy", false), (.unknownMember, 24, "unknown_member", false),
            (.shuttingDown, 30, "shutting_down", false),
            (.internalError, 31, "internal_error", false), (.sequenceGap, 32, "sequence_gap", false),
            (.duplicateSequence, 33, "duplicate_sequence", false), (.tooManyProducers, 34, "too_many_producers", false),
            (.notDurable, 35, "not_durable", false), (.unknownProducer, 36, "unknown_producer", false),
            (.topicRecovering, 37, "topic_recovering", false), (.permissionDenied, 38, "permission_denied", false),
            (.mirrorNotFound, 39, "mirror_not_found", false),
        ]
        for (code, raw, name, fatal) in expected {
            #expect(code.rawValue == raw)
            #expect(code.description == "\(name) (\(raw))")
            #expect(code.isFatal == fatal)
        }
        #expect(ErrorCode(rawValue: 999).description == "error (999)")
    }
}
