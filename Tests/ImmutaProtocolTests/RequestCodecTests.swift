import ImmutaProtocol
import NIOCore
import Testing

/// Several values of every request case, with edge values: empty strings, unicode, maximum integers,
/// empty and non-empty record payloads.
var sampleRequests: [Request] { topicRequests + sampleGroupRequests.map { .group($0) } + sampleAccessRequests + sampleMirrorRequests }

private let topicRequests: [Request] = [
    .hello(minVersion: 1, maxVersion: 1, clientName: "immuta-swift/0.1"),
    .hello(minVersion: 0, maxVersion: .max, clientName: ""),
    .hello(minVersion: .max, maxVersion: 0, clientName: "クライアント 🚀"),
    .ping,
    .stats,
    .createTopic(name: "orders", config: WireTopicConfig()),
    .createTopic(
        name: "", config: WireTopicConfig(segmentBytes: 4096, maxRecordBytes: 1, retentionBytes: 1, retentionMilliseconds: 1, durability: "none")),
    .createTopic(
        name: "тема-ünïcödé-名前",
        config: WireTopicConfig(
            segmentBytes: .max, maxRecordBytes: .max, retentionBytes: .max, retentionMilliseconds: .max,
            durability: "interval:250")),
    .createTopic(
        name: String(repeating: "x", count: 255),
        config: WireTopicConfig(retentionMilliseconds: .min, durability: "fsync")),
    .deleteTopic(name: "orders"),
    .deleteTopic(name: ""),
    .deleteTopic(name: "ü🚀"),
    .listTopics,
    .describeTopic(name: "orders"),
    .configureTopic(name: "orders", config: WireTopicConfig()),
    .configureTopic(
        name: "ü", config: WireTopicConfig(segmentBytes: .max, maxRecordBytes: 1, retentionBytes: .max, retentionMilliseconds: -1, durability: "none")),
    .describeTopic(name: ""),
    .describeTopic(name: "名前"),
    .produce(topic: "orders", ack: .write, count: 0, records: ByteBuffer()),
    .produce(topic: "orders", ack: .fsync, count: 1, records: seedRecords([[]])),
    .produce(topic: "", ack: .write, count: 3, records: seedRecords([[1, 2, 3], [], Array("héllo".utf8)])),
    .produce(topic: "ü", ack: .fsync, count: 1, records: seedRecords([Array(repeating: 0xAB, count: 70_000)])),
    .produceIdempotent(topic: "orders", ack: .fsync, producer: 0, sequence: 0, count: 1, records: seedRecords([[]])),
    .produceIdempotent(
        topic: "o", ack: .write, producer: .max, sequence: .max, count: 2, records: seedRecords([[1], Array("héllo".utf8)])),
    .fetch(topic: "orders", start: .earliest, maxRecords: 100, maxBytes: 1 << 20, waitMilliseconds: 0),
    .fetch(topic: "", start: .latest, maxRecords: 0, maxBytes: 0, waitMilliseconds: .max),
    .fetch(topic: "t", start: .offset(.max), maxRecords: .max, maxBytes: .max, waitMilliseconds: 500),
    .fetch(topic: "t", start: .offset(0), maxRecords: 1, maxBytes: 1, waitMilliseconds: 1),
    .fetch(topic: "時間", start: .timestamp(.min), maxRecords: 1, maxBytes: 1, waitMilliseconds: 1),
    .fetch(topic: "t", start: .timestamp(.max), maxRecords: 1, maxBytes: 1, waitMilliseconds: 1),
    .fetch(topic: "t", start: .timestamp(-1), maxRecords: 1, maxBytes: 1, waitMilliseconds: 1),
    .subscribe(topic: "orders", start: .latest, creditRecords: 1000, creditBytes: 1 << 20),
    .subscribe(topic: "", start: .earliest, creditRecords: 0, creditBytes: 0),
    .subscribe(topic: "🚀", start: .offset(.max), creditRecords: .max, creditBytes: .max),
    .subscribe(topic: "t", start: .timestamp(1_700_000_000_123_456_789), creditRecords: 1, creditBytes: 1),
    .credit(subscription: 0, records: 0, bytes: 0),
    .credit(subscription: .max, records: .max, bytes: .max),
    .credit(subscription: 10, records: 500, bytes: 512 << 10),
    .unsubscribe(subscription: 0),
    .unsubscribe(subscription: .max),
]

@Suite("Request codec", .timeLimit(.minutes(5)))
struct RequestCodecTests {
    @Test("every request round-trips through a frame", arguments: sampleRequests)
    func roundTrip(_ request: Request) throws {
        for requestID: UInt32 in [0, 1, 0xDEAD_BEEF, .max] {
            let frame = try throughWire(request.frame(requestID: requestID))
            #expect(frame.opcode == request.opcode)
            #expect(frame.requestID == requestID)
            #expect(frame.flags == 0)
            #expect(!frame.opcode.isResponse)
            #expect(try Request(frame: frame) == request)
        }
    }

    @Test("encoding in one pass gives the same bytes as building the frame first", arguments: sampleRequests)
    func onePassEncoding(_ request: Request) {
        for requestID: UInt32 in [0, 7, .max] {
            var expected = ByteBuffer()
            request.frame(requestID: requestID).encode(into: &expected)
            var actual = ByteBuffer(bytes: [0xEE, 0xEE])  // appends after what the buffer already holds
            request.encodeFrame(requestID: requestID, into: &actual)
            #expect(actual.readableBytesView.dropFirst(2).elementsEqual(expected.readableBytesView))
        }
    }

    @Test("the sample covers every request opcode")
    func coversEveryOpcode() {
        let covered = Set(sampleRequests.map(\.opcode.rawValue))
        #expect(covered == Set(requestOpcodes.map(\.rawValue)))
    }

    @Test("the frame length field counts the header after it and the body")
    func lengthField() {
        for request in sampleRequests {
            let frame = request.frame(requestID: 1)
            let bytes = wireBytes(frame)
            let length = bytes.getInteger(at: 0, endianness: .little, as: UInt32.self)
            #expect(Int(length ?? 0) == 8 + frame.body.readableBytes)
            #expect(bytes.readableBytes == 12 + frame.body.readableBytes)
            #expect(bytes.getInteger(at: 6, as: UInt16.self) == 0, "reserved bytes are zero")
        }
    }

    @Test("the start position keeps its value bits for every kind")
    func startKinds() throws {
        for start: WireStart in [.earliest, .latest, .offset(0), .offset(1 << 63), .timestamp(-1), .timestamp(.min)] {
            let request = Request.fetch(topic: "t", start: start, maxRecords: 1, maxBytes: 1, waitMilliseconds: 0)
            #expect(try Request(frame: throughWire(request.frame(requestID: 1))) == request)
        }
    }

    @Test("earliest and latest ignore the value field")
    func startValueIgnored() throws {
        for kind: UInt8 in [0, 1] {
            var body = ByteBuffer()
            body.writeWireString("t")
            body.writeWire(kind)
            body.writeWire(UInt64.max)
            body.writeWire(UInt32(1))
            body.writeWire(UInt32(2))
            body.writeWire(UInt32(3))
            let request = try Request(frame: Frame(opcode: .fetch, requestID: 1, body: body))
            let start: WireStart = kind == 0 ? .earliest : .latest
            #expect(request == .fetch(topic: "t", start: start, maxRecords: 1, maxBytes: 2, waitMilliseconds: 3))
        }
    }

    @Test("a produce keeps its records bytes verbatim, up to the end of the frame")
    func produceRecordsVerbatim() throws {
        let records = seedRecords([Array("first".utf8), [], Array("third".utf8)])
        let frame = try throughWire(Request.produce(topic: "t", ack: .fsync, count: 3, records: records).frame(requestID: 1))
        guard case .produce(_, _, let count, let decoded) = try Request(frame: frame) else {
            Issue.record("not a produce")
            return
        }
        #expect(count == 3)
        #expect(decoded == records)
        #expect(hex(decoded) == "0500000000000000" + "6669727374" + "0000000000000000" + "0500000000000000" + "7468697264")
    }
}

/// Every opcode the protocol defines for requests.
let requestOpcodes: [Opcode] = [
    .hello, .ping, .stats, .createTopic, .deleteTopic, .listTopics, .describeTopic, .configureTopic, .produce, .fetch, .subscribe,
    .credit, .unsubscribe, .produceIdempotent, .groupJoin, .groupAck, .groupNack, .groupLeave, .groupCommit, .groupOffset, .groupList,
    .groupDescribe, .groupReset, .groupDelete, .groupRecovery, .accessCheck, .listConnections, .groupConfigure, .groupPending,
    .groupSettle, .mirrorList, .mirrorControl,
]

/// Every opcode the protocol defines for responses and pushes.
let responseOpcodes: [Opcode] = [
    .ok, .helloOK, .pong, .statsResult, .topicInfo, .topicList, .produced, .records, .subscribed, .delivery,
    .groupDelivery, .groupJoined, .groupCommitted, .groupListResult, .groupInfo, .groupResetPlan, .error,
    .producedIdempotent, .groupRecoveryNotes, .accessDecision, .connectionList, .groupPendingList, .mirrorListResult,
]
