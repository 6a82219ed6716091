import ImmutaProtocol
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The example conversation of docs/PROTOCOL.md. Each frame's bytes are pinned here, so the hex in
/// the document is the codec's output. Run with IMMUTA_PRINT_HEX=1 to print them in the document's
/// layout.
private let createdAt: Int64 = 1_700_000_000_000_000_000
private let producedAt: Int64 = 1_700_000_001_000_000_000

private let ordersConfig = WireTopicConfig(
    segmentBytes: 64 << 20, maxRecordBytes: 8 << 20, retentionBytes: 0, retentionMilliseconds: 604_800_000,
    durability: "fsync")

private let examples: [(name: String, frame: Frame)] = [
    (
        "HELLO", Request.hello(minVersion: 1, maxVersion: 1, clientName: "demo").frame(requestID: 1)
    ),
    (
        "HELLO_OK",
        Response.helloOK(version: 1, server: "immutad 0.1.0", maxFrameLength: 16_842_752, maxRecordBytes: 8 << 20)
            .frame(requestID: 1)
    ),
    ("PING", Request.ping.frame(requestID: 2)),
    ("PONG", Response.pong.frame(requestID: 2)),
    ("STATS", Request.stats.frame(requestID: 3)),
    (
        "CONFIGURE_TOPIC",
        Request.configureTopic(name: "orders", config: WireTopicConfig(retentionMilliseconds: -1, durability: "none"))
            .frame(requestID: 33)
    ),
    (
        "ACCESS_CHECK",
        Request.access(.check(user: "alice", operation: "produce", topic: "orders", group: "")).frame(requestID: 31)
    ),
    (
        "ACCESS_DECISION",
        Response.access(.decision(allowed: true, subject: "user alice (uid 1001)", explanation: "allowed by grant \"web\""))
            .frame(requestID: 31)
    ),
    ("LIST_CONNECTIONS", Request.access(.connections).frame(requestID: 32)),
    (
        "CONNECTION_LIST",
        Response.access(
            .connections([
                WireConnection(
                    id: 7, pid: 4711, uid: 1001, gid: 1001, user: "alice", groups: ["alice(1001)", "web(1002)"],
                    clientName: "demo", connectedAt: 1_700_000_000_000, isSelf: true)
            ])
        ).frame(requestID: 32)
    ),
    ("MIRROR_LIST", Request.mirror(.list).frame(requestID: 34)),
    (
        "MIRROR_LIST_RESULT",
        Response.mirror(
            .list([
                WireMirror(
                    isSource: false, name: "central", topic: "orders", stream: "IMMUTA_web-1_orders", target: "immuta.web-1.orders",
                    state: "running", position: 1000, topicEnd: 1002, lagRecords: 2, lagMilliseconds: 35, milliRecordsPerSecond: 250_000,
                    records: 1000, duplicates: 0, rewinds: 0, lastError: "", lastErrorAt: 0)
            ])
        ).frame(requestID: 34)
    ),
    ("MIRROR_CONTROL", Request.mirror(.control(name: "central", resume: false)).frame(requestID: 35)),
    (
        "STATS_RESULT",
        Response.stats([.init(name: "uptime_ms", value: 60_000), .init(name: "topics", value: 1)]).frame(requestID: 3)
    ),
    (
        "CREATE_TOPIC", Request.createTopic(name: "orders", config: ordersConfig).frame(requestID: 4)
    ),
    (
        "TOPIC_INFO",
        Response.topicInfo(
            WireTopicInfo(
                name: "orders", config: ordersConfig, earliestOffset: 0, nextOffset: 0, bytes: 0, segments: 1,
                createdAt: createdAt)
        ).frame(requestID: 4)
    ),
    ("LIST_TOPICS", Request.listTopics.frame(requestID: 5)),
    (
        "TOPIC_LIST",
        Response.topicList([
            WireTopicInfo(
                name: "orders", config: ordersConfig, earliestOffset: 0, nextOffset: 0, bytes: 0, segments: 1,
                createdAt: createdAt)
        ]).frame(requestID: 5)
    ),
    ("DESCRIBE_TOPIC", Request.describeTopic(name: "orders").frame(requestID: 6)),
    (
        "PRODUCE",
        Request.produce(topic: "orders", ack: .fsync, count: 2, records: seedRecords([Array("hi".utf8), Array("abc".utf8)]))
            .frame(requestID: 7)
    ),
    ("PRODUCED", Response.produced(firstOffset: 0, count: 2, timestamp: producedAt).frame(requestID: 7)),
    (
        "PRODUCE_IDEMPOTENT",
        Request.produceIdempotent(
            topic: "orders", ack: .fsync, producer: 0x1122_3344_5566_7788, sequence: 5, count: 2,
            records: seedRecords([Array("hi".utf8), Array("abc".utf8)])
        ).frame(requestID: 9)
    ),
    (
        "PRODUCED_IDEMPOTENT",
        Response.producedIdempotent(firstOffset: 2, count: 2, timestamp: producedAt, duplicate: false).frame(requestID: 9)
    ),
    (
        "FETCH",
        Request.fetch(topic: "orders", start: .offset(0), maxRecords: 100, maxBytes: 1 << 20, waitMilliseconds: 500)
            .frame(requestID: 8)
    ),
    (
        "RECORDS",
        {
            let parts = recordsParts([Array("hi".utf8), Array("abc".utf8)], basePosition: 0, timestamp: producedAt)
            return Response.records(
                WireRecordsHeader(firstOffset: 0, count: 2, logEndOffset: 2), index: parts.index, data: parts.data
            ).frame(requestID: 8)
        }()
    ),
    (
        "SUBSCRIBE",
        Request.subscribe(topic: "orders", start: .latest, creditRecords: 1000, creditBytes: 1 << 20).frame(requestID: 9)
    ),
    ("SUBSCRIBED", Response.subscribed(startOffset: 2).frame(requestID: 9)),
    (
        "DELIVERY",
        {
            let parts = recordsParts([Array("new".utf8)], basePosition: 21, timestamp: producedAt + 1_000_000_000)
            return Response.delivery(
                WireRecordsHeader(firstOffset: 2, count: 1, logEndOffset: 3), index: parts.index, data: parts.data
            ).frame(requestID: 9)
        }()
    ),
    ("CREDIT", Request.credit(subscription: 9, records: 1, bytes: 11).frame(requestID: 10)),
    ("UNSUBSCRIBE", Request.unsubscribe(subscription: 9).frame(requestID: 11)),
    ("OK", Response.ok.frame(requestID: 11)),
    ("DELETE_TOPIC", Request.deleteTopic(name: "orders").frame(requestID: 12)),
    (
        "GROUP_JOIN",
        Request.group(.join(topic: "orders", group: "billing", start: .earliest, settings: WireGroupSettings()))
            .frame(requestID: 20)
    ),
    ("GROUP_JOINED", Response.group(.joined(committedOffset: 0)).frame(requestID: 20)),
    (
        "GROUP_DELIVERY",
        {
            let parts = recordsParts([Array("hi".utf8)], basePosition: 0, timestamp: producedAt)
            return Response.groupDelivery(
                deliveryCount: 1, WireRecordsHeader(firstOffset: 0, count: 1, logEndOffset: 2), index: parts.index,
                data: parts.data
            ).frame(requestID: 20)
        }()
    ),
    ("GROUP_ACK", Request.group(.ack(member: 20, offsets: [0])).frame(requestID: 21)),
    ("GROUP_NACK", Request.group(.nack(member: 20, offsets: [1])).frame(requestID: 22)),
    ("GROUP_LEAVE", Request.group(.leave(member: 20)).frame(requestID: 23)),
    ("GROUP_COMMIT", Request.group(.commit(topic: "orders", group: "audit", offset: 2)).frame(requestID: 24)),
    ("GROUP_COMMITTED", Response.group(.committed(2)).frame(requestID: 24)),
    ("GROUP_OFFSET", Request.group(.offset(topic: "orders", group: "audit", start: .earliest)).frame(requestID: 25)),
    ("GROUP_LIST", Request.group(.list(topic: "orders")).frame(requestID: 26)),
    (
        "GROUP_LIST_RESULT",
        Response.group(
            .list([
                WireGroupInfo(
                    topic: "orders", group: "audit", committedOffset: 2, nextOffset: 2, inFlight: 0, redelivered: 0,
                    deadLettered: 0,
                    settings: WireGroupSettings(
                        maxInFlight: 1000, ackTimeoutMilliseconds: 30_000, maxDeliveries: 5, deadLetterTopic: "orders.dlq"),
                    members: [])
            ])
        ).frame(requestID: 26)
    ),
    ("GROUP_DESCRIBE", Request.group(.describe(topic: "orders", group: "billing")).frame(requestID: 27)),
    (
        "GROUP_INFO",
        Response.group(
            .info(
                WireGroupInfo(
                    topic: "orders", group: "billing", committedOffset: 1, nextOffset: 2, inFlight: 1, redelivered: 1,
                    deadLettered: 0,
                    settings: WireGroupSettings(
                        maxInFlight: 1000, ackTimeoutMilliseconds: 30_000, maxDeliveries: 5, deadLetterTopic: "orders.dlq"),
                    members: [WireGroupMember(clientName: "w1", pid: 4242, inFlight: 1, lastSeen: 1_700_000_003_000)]))
        ).frame(requestID: 27)
    ),
    (
        "GROUP_RESET",
        Request.group(.reset(topic: "orders", group: "audit", target: .shift(-1), execute: true, force: false))
            .frame(requestID: 28)
    ),
    ("GROUP_RESET_PLAN", Response.group(.resetPlan(current: 2, target: 1, executed: true)).frame(requestID: 28)),
    ("GROUP_DELETE", Request.group(.delete(topic: "orders", group: "audit")).frame(requestID: 29)),
    ("GROUP_RECOVERY", Request.group(.recovery(topic: "orders", group: "audit")).frame(requestID: 30)),
    (
        "GROUP_CONFIGURE",
        Request.group(.configure(topic: "orders", group: "billing", settings: WireGroupSettings(ackTimeoutMilliseconds: 120_000)))
            .frame(requestID: 31)
    ),
    ("GROUP_PENDING", Request.group(.pending(topic: "orders", group: "billing", from: 0, maxCount: 100)).frame(requestID: 32)),
    (
        "GROUP_PENDING_LIST",
        Response.group(
            .pending(
                WirePendingList(
                    held: 1, waiting: 0,
                    records: [
                        WirePendingRecord(
                            offset: 1, state: .held, deliveryCount: 2, clientName: "worker-1", pid: 1234, heldMilliseconds: 1500,
                            ackDueMilliseconds: 28_500)
                    ]))
        ).frame(requestID: 32)
    ),
    ("GROUP_SETTLE", Request.group(.settle(topic: "orders", group: "billing", action: .ack, offsets: [1])).frame(requestID: 33)),
    (
        "GROUP_RECOVERY_NOTES",
        Response.group(
            .recoveryNotes(["committed offset 100 was past the topic's recovered end at startup; moved back to the end"])
        ).frame(requestID: 30)
    ),
    (
        "ERROR (request-level)",
        Response.error(ProtocolError(.topicNotFound, "topic \"nope\" does not exist")).frame(requestID: 13)
    ),
    (
        "ERROR (connection-level)",
        Response.error(ProtocolError(.helloRequired, "the first frame must be HELLO")).frame(requestID: 0)
    ),
]

/// The bytes of each example as PROTOCOL.md prints them (the line breaks there are only for reading).
private let pinnedHex: [String: String] = [
    "HELLO": "12000000010000000100000001000100040064656d6f",
    "HELLO_OK":
        "25000000810000000100000001000d00696d6d7574616420302e312e30000001" +
        "010000800000000000",
    "PING": "080000000200000002000000",
    "PONG": "080000008200000002000000",
    "STATS": "080000000300000003000000",
    "STATS_RESULT":
        "2f0000008300000003000000020000000900757074696d655f6d7360ea000000" +
        "0000000600746f706963730100000000000000",
    "CONFIGURE_TOPIC":
        "36000000140000002100000006006f7264657273000000000000000000000000" +
        "000000000000000000000000ffffffffffffffff04006e6f6e65",
    "ACCESS_CHECK":
        "22000000040000001f0000000500616c696365070070726f6475636506006f72" +
        "646572730000",
    "ACCESS_DECISION":
        "38000000840000001f0000000115007573657220616c69636520287569642031" +
        "303031291600616c6c6f776564206279206772616e74202277656222",
    "LIST_CONNECTIONS": "080000000500000020000000",
    "CONNECTION_LIST":
        "50000000850000002000000001000000070000000000000067120000e9030000" +
        "e90300000500616c69636502000b00616c696365283130303129090077656228" +
        "3130303229040064656d6f0068e5cf8b01000001",
    "MIRROR_LIST": "080000000600000022000000",
    "MIRROR_LIST_RESULT":
        "9b00000086000000220000000100000000070063656e7472616c06006f726465" +
        "72731300494d4d5554415f7765622d315f6f72646572731300696d6d7574612e" +
        "7765622d312e6f7264657273070072756e6e696e67e803000000000000ea0300" +
        "00000000000200000000000000230000000000000090d0030000000000e80300" +
        "00000000000000000000000000000000000000000000000000000000000000",
    "MIRROR_CONTROL": "120000000700000023000000070063656e7472616c00",
    "CREATE_TOPIC":
        "37000000100000000400000006006f7264657273000000040000000000008000" +
        "00000000000000000000000000840c240000000005006673796e63",
    "TOPIC_INFO":
        "5b000000900000000400000006006f7264657273000000040000000000008000" +
        "00000000000000000000000000840c240000000005006673796e630000000000" +
        "000000000000000000000000000000000000000100000000002a36fe9c9717",
    "LIST_TOPICS": "080000001200000005000000",
    "TOPIC_LIST":
        "5f00000091000000050000000100000006006f72646572730000000400000000" +
        "0000800000000000000000000000000000840c240000000005006673796e6300" +
        "00000000000000000000000000000000000000000000000100000000002a36fe" +
        "9c9717",
    "DESCRIBE_TOPIC": "10000000130000000600000006006f7264657273",
    "PRODUCE":
        "2a000000200000000700000006006f7264657273010200000002000000000000" +
        "0068690300000000000000616263",
    "PRODUCED": "1c000000a00000000700000000000000000000000200000000cac471fe9c9717",
    "PRODUCE_IDEMPOTENT":
        "3a000000250000000900000006006f7264657273018877665544332211050000" +
        "000000000002000000020000000000000068690300000000000000616263",
    "PRODUCED_IDEMPOTENT": "1d000000a50000000900000002000000000000000200000000cac471fe9c971700",
    "FETCH":
        "25000000210000000800000006006f7264657273020000000000000000640000" +
        "0000001000f4010000",
    "RECORDS":
        "71000000a1000000080000000000000000000000020000000200000000000000" +
        "000000000000000000cac471fe9c971702000000c2d99df500000000b57625ff" +
        "0a0000000000000000cac471fe9c971703000000b73f4b3601000000a796adc6" +
        "020000000000000068690300000000000000616263",
    "SUBSCRIBE":
        "25000000220000000900000006006f7264657273010000000000000000e80300" +
        "000000100000000000",
    "SUBSCRIBED": "10000000a2000000090000000200000000000000",
    "DELIVERY":
        "47000000a3000000090000000200000000000000010000000300000000000000" +
        "150000000000000000945fadfe9c9717030000002efc43d701000000eb071a92" +
        "03000000000000006e6577",
    "CREDIT": "18000000230000000a00000009000000010000000b00000000000000",
    "UNSUBSCRIBE": "0c000000240000000b00000009000000",
    "OK": "08000000800000000b000000",
    "DELETE_TOPIC": "10000000110000000c00000006006f7264657273",
    "GROUP_JOIN":
        "2e000000400000001400000006006f7264657273070062696c6c696e67000000" +
        "000000000000000000000000000000000000",
    "GROUP_JOINED": "10000000b0000000140000000000000000000000",
    "GROUP_DELIVERY":
        "48000000a4000000140000000100000000000000000001000000020000000000" +
        "0000000000000000000000cac471fe9c971702000000c2d99df5010000000ddc" +
        "602202000000000000006869",
    "GROUP_ACK": "18000000410000001500000014000000010000000000000000000000",
    "GROUP_NACK": "18000000420000001600000014000000010000000100000000000000",
    "GROUP_LEAVE": "0c000000430000001700000014000000",
    "GROUP_COMMIT":
        "1f000000440000001800000006006f7264657273050061756469740200000000" +
        "000000",
    "GROUP_COMMITTED": "10000000b1000000180000000200000000000000",
    "GROUP_OFFSET":
        "20000000450000001900000006006f7264657273050061756469740000000000" +
        "00000000",
    "GROUP_LIST": "10000000460000001a00000006006f7264657273",
    "GROUP_LIST_RESULT":
        "59000000b20000001a0000000100000006006f72646572730500617564697402" +
        "0000000000000002000000000000000000000000000000000000000000000000" +
        "000000e80300003075000005000a006f72646572732e646c7100000000",
    "GROUP_DESCRIBE": "19000000470000001b00000006006f7264657273070062696c6c696e67",
    "GROUP_INFO":
        "6b000000b30000001b00000006006f7264657273070062696c6c696e67010000" +
        "0000000000020000000000000001000000010000000000000000000000000000" +
        "00e80300003075000005000a006f72646572732e646c71010000000200773192" +
        "10000001000000b873e5cf8b010000",
    "GROUP_RESET":
        "22000000480000001c00000006006f72646572730500617564697404ffffffff" +
        "ffffffff0100",
    "GROUP_RESET_PLAN": "19000000b40000001c0000000200000000000000010000000000000001",
    "GROUP_DELETE": "17000000490000001d00000006006f726465727305006175646974",
    "GROUP_RECOVERY": "170000004a0000001e00000006006f726465727305006175646974",
    "GROUP_CONFIGURE":
        "250000004b0000001f00000006006f7264657273070062696c6c696e67000000" +
        "00c0d4010000000000",
    "GROUP_PENDING":
        "250000004c0000002000000006006f7264657273070062696c6c696e67000000" +
        "000000000064000000",
    "GROUP_PENDING_LIST":
        "35000000b6000000200000000100000000000000010000000100000000000000" +
        "0002000800776f726b65722d31d2040000dc050000546f0000",
    "GROUP_SETTLE":
        "260000004d0000002100000006006f7264657273070062696c6c696e67000100" +
        "00000100000000000000",
    "GROUP_RECOVERY_NOTES":
        "67000000b50000001e000000010000005900636f6d6d6974746564206f666673" +
        "6574203130302077617320706173742074686520746f7069632773207265636f" +
        "766572656420656e6420617420737461727475703b206d6f766564206261636b" +
        "20746f2074686520656e64",
    "ERROR (request-level)":
        "27000000ff0000000d0000000b001b00746f70696320226e6f70652220646f65" +
        "73206e6f74206578697374",
    "ERROR (connection-level)":
        "29000000ff0000000000000004001d00746865206669727374206672616d6520" +
        "6d7573742062652048454c4c4f",
]

/// The frame as PROTOCOL.md shows it: hex, 32 bytes a line.
private func documentLayout(_ frame: Frame) -> String {
    let digits = Array(hex(wireBytes(frame)))
    return stride(from: 0, to: digits.count, by: 64).map { String(digits[$0..<min($0 + 64, digits.count)]) }
        .joined(separator: "\n")
}

@Suite("Protocol document examples", .timeLimit(.minutes(5)))
struct ProtocolExamplesTests {
    @Test("the frames in PROTOCOL.md are what the codec writes, and decode back")
    func examplesMatch() throws {
        if getenv("IMMUTA_PRINT_HEX") != nil {
            for example in examples { print("### \(example.name)\n```\n\(documentLayout(example.frame))\n```\n") }
        }
        #expect(Set(examples.map(\.frame.opcode.rawValue)) == Set((requestOpcodes + responseOpcodes).map(\.rawValue)))
        for example in examples {
            let pinned = try #require(pinnedHex[example.name], "\(example.name) has no pinned bytes")
            #expect(hex(wireBytes(example.frame)) == pinned.filter { !$0.isWhitespace }, "\(example.name)")
            let decoded = try throughWire(example.frame)
            if example.frame.opcode.isResponse {
                #expect(try Response(frame: decoded).frame(requestID: decoded.requestID) == example.frame)
            } else {
                #expect(try Request(frame: decoded).frame(requestID: decoded.requestID) == example.frame)
            }
        }
    }

    @Test("the RECORDS example verifies end to end")
    func recordsExampleVerifies() throws {
        let frame = try #require(examples.first { $0.name == "RECORDS" }).frame
        guard case .records(let header, let index, let data) = try Response(frame: frame) else {
            Issue.record("not RECORDS")
            return
        }
        let records = try verifyRecords(header, index: index, data: data)
        #expect(records.map(\.payload) == [Array("hi".utf8), Array("abc".utf8)])
        #expect(records.map(\.isBatchEnd) == [false, true])
        #expect(try header.records(index: index, data: data).map { String(buffer: $0.payload) } == ["hi", "abc"])
    }

    @Test("the DELIVERY example, whose first position is not 0, verifies end to end")
    func deliveryExampleVerifies() throws {
        let frame = try #require(examples.first { $0.name == "DELIVERY" }).frame
        guard case .delivery(let header, let index, let data) = try Response(frame: frame) else {
            Issue.record("not DELIVERY")
            return
        }
        #expect(index.getInteger(at: index.readerIndex, endianness: .little, as: UInt64.self) == 21)
        let records = try verifyRecords(header, index: index, data: data)
        #expect(records == [VerifiedRecord(offset: 2, timestamp: 1_700_000_002_000_000_000, isBatchEnd: true, payload: Array("new".utf8))])
        #expect(try header.records(index: index, data: data).map(\.offset) == [2])
    }
}
