import ImmutaProtocol
import NIOCore
import Testing

private let settings = WireGroupSettings(
    maxInFlight: 1000, ackTimeoutMilliseconds: 30_000, maxDeliveries: 5, deadLetterTopic: "orders.dlq")
private let extremeSettings = WireGroupSettings(
    maxInFlight: .max, ackTimeoutMilliseconds: .max, maxDeliveries: .max, deadLetterTopic: "死信-🚀")

/// Several values of every consumer-group request. Computed, not stored: LeakSanitizer cannot
/// follow the enum-tagged pointers of a global's cases to their arrays, and reported them leaked.
var sampleGroupRequests: [GroupRequest] {
    [
    .join(topic: "orders", group: "billing", start: .earliest, settings: WireGroupSettings()),
    .join(topic: "", group: "", start: .offset(.max), settings: extremeSettings),
    .join(topic: "ü", group: "グループ", start: .timestamp(.min), settings: settings),
    .ack(member: 1, offsets: [0]),
    .ack(member: .max, offsets: []),
    .ack(member: 0, offsets: [0, 1, .max, 42]),
    .nack(member: 7, offsets: [3]),
    .nack(member: 0, offsets: []),
    .nack(member: .max, offsets: Array(0..<100)),
    .leave(member: 0),
    .leave(member: .max),
    .commit(topic: "orders", group: "billing", offset: 42),
    .commit(topic: "", group: "", offset: .max),
    .offset(topic: "orders", group: "billing", start: .latest),
    .offset(topic: "ü", group: "名前", start: .offset(0)),
    .list(topic: ""),
    .list(topic: "orders"),
    .describe(topic: "orders", group: "billing"),
    .describe(topic: "", group: "🚀"),
    .reset(topic: "orders", group: "billing", target: .earliest, execute: false, force: false),
    .reset(topic: "orders", group: "billing", target: .latest, execute: true, force: false),
    .reset(topic: "orders", group: "billing", target: .offset(.max), execute: false, force: true),
    .reset(topic: "orders", group: "billing", target: .timestamp(-1), execute: true, force: true),
    .reset(topic: "", group: "", target: .shift(.min), execute: false, force: false),
    .reset(topic: "t", group: "g", target: .shift(.max), execute: true, force: true),
    .delete(topic: "orders", group: "billing"),
    .delete(topic: "", group: ""),
    .recovery(topic: "orders", group: "billing"),
    .join(topic: "orders", group: "billing", start: .latest, settings: settings, memberMaxInFlight: 1),
    .join(topic: "t", group: "g", start: .earliest, settings: WireGroupSettings(), memberMaxInFlight: .max),
    .configure(topic: "orders", group: "billing", settings: WireGroupSettings()),
    .configure(topic: "ü", group: "g", settings: extremeSettings),
    .pending(topic: "orders", group: "billing", from: 0, maxCount: 100),
    .pending(topic: "", group: "", from: .max, maxCount: .max),
    .settle(topic: "orders", group: "billing", action: .ack, offsets: [42]),
    .settle(topic: "t", group: "g", action: .nack, offsets: [0, .max, 7]),
    .settle(topic: "", group: "", action: .ack, offsets: []),
    ]
}

private let info = WireGroupInfo(
    topic: "orders", group: "billing", committedOffset: 40, nextOffset: 42, inFlight: 2, redelivered: 1,
    deadLettered: 0, settings: settings,
    members: [WireGroupMember(clientName: "worker-1", pid: 1234, inFlight: 2, lastSeen: 1_700_000_000_000)])

private let extremeInfo = WireGroupInfo(
    topic: "ü", group: "", committedOffset: .max, nextOffset: 0, inFlight: .max, redelivered: .max, deadLettered: .max,
    settings: extremeSettings,
    members: [
        WireGroupMember(clientName: "", pid: .min, inFlight: 0, lastSeen: .min),
        WireGroupMember(clientName: "ワーカー", pid: .max, inFlight: .max, lastSeen: .max),
    ])

private let emptyInfo = WireGroupInfo(
    topic: "", group: "", committedOffset: 0, nextOffset: 0, inFlight: 0, redelivered: 0, deadLettered: 0,
    settings: WireGroupSettings(), members: [])

private func groupDelivery(_ deliveryCount: UInt16, firstOffset: UInt64, _ payloads: [[UInt8]]) -> Response {
    let parts = recordsParts(payloads)
    let header = WireRecordsHeader(firstOffset: firstOffset, count: UInt32(payloads.count), logEndOffset: firstOffset &+ 10)
    return .groupDelivery(deliveryCount: deliveryCount, header, index: parts.index, data: parts.data)
}

/// Several values of every consumer-group response and push.
let sampleGroupResponses: [Response] = [
    .group(.joined(committedOffset: 0)),
    .group(.joined(committedOffset: .max)),
    .group(.committed(42)),
    .group(.committed(.max)),
    .group(.list([])),
    .group(.list([info, extremeInfo, emptyInfo])),
    .group(.info(info)),
    .group(.info(extremeInfo)),
    .group(.info(emptyInfo)),
    .group(.resetPlan(current: 40, target: 0, executed: false)),
    .group(.resetPlan(current: .max, target: .max, executed: true)),
    .group(.recoveryNotes([])),
    .group(.recoveryNotes(["a note", "", "héllo"])),
    .group(.pending(WirePendingList(held: 0, waiting: 0, records: []))),
    .group(
        .pending(
            WirePendingList(
                held: .max, waiting: 3,
                records: [
                    WirePendingRecord(
                        offset: 7, state: .held, deliveryCount: 2, clientName: "worker-1", pid: 1234, heldMilliseconds: 1500,
                        ackDueMilliseconds: 28_500),
                    WirePendingRecord(
                        offset: .max, state: .waiting, deliveryCount: .max, clientName: "", pid: 0, heldMilliseconds: 0,
                        ackDueMilliseconds: 0),
                    WirePendingRecord(
                        offset: 0, state: .held, deliveryCount: 1, clientName: "ワーカー", pid: .min, heldMilliseconds: .max,
                        ackDueMilliseconds: .max),
                ]))),
    groupDelivery(1, firstOffset: 0, [Array("job".utf8)]),
    groupDelivery(.max, firstOffset: .max - 2, [[], Array("ünï".utf8)]),
    groupDelivery(0, firstOffset: 7, []),
]

@Suite("Consumer-group codec", .timeLimit(.minutes(5)))
struct GroupCodecTests {
    @Test("ack, nack and settle bodies must hold exactly count offsets")
    func ackCountMismatch() {
        for opcode: Opcode in [.groupAck, .groupNack, .groupSettle] {
            for (count, offsets) in [(UInt32(1), 0), (0, 1), (2, 1), (.max, 0), (1, 2)] as [(UInt32, Int)] {
                var body = ByteBuffer()
                if opcode == .groupSettle {
                    body.writeWireString("t")
                    body.writeWireString("g")
                    body.writeWire(UInt8(0))
                } else {
                    body.writeWire(UInt32(9))
                }
                body.writeWire(count)
                for offset in 0..<offsets { body.writeWire(UInt64(offset)) }
                let error = #expect(throws: ProtocolError.self) { try Request(frame: Frame(opcode: opcode, requestID: 1, body: body)) }
                #expect(error?.code == .invalidRequest, "\(opcode) count \(count) with \(offsets) offsets")
            }
        }
    }

    @Test("a GROUP_JOIN without member_max_in_flight reads as 0, and one with it round-trips; anything more is refused")
    func joinMemberLimitIsOptional() throws {
        for trailing in [[], [5, 0, 0, 0], [5, 0, 0, 0, 1], [5, 0]] as [[UInt8]] {
            var body = ByteBuffer()
            body.writeWireString("t")
            body.writeWireString("g")
            body.writeWire(UInt8(0))
            body.writeWire(Int64(0))
            body.writeWire(UInt32(0))  // the settings: max_in_flight, ack_timeout_ms, max_deliveries, dead_letter_topic
            body.writeWire(UInt32(0))
            body.writeWire(UInt16(0))
            body.writeWireString("")
            body.writeBytes(trailing)
            let frame = Frame(opcode: .groupJoin, requestID: 1, body: body)
            if trailing.count == 0 || trailing.count == 4 {
                let request = try Request(frame: frame)
                #expect(request == .group(.join(topic: "t", group: "g", start: .earliest, settings: WireGroupSettings(), memberMaxInFlight: trailing.isEmpty ? 0 : 5)))
            } else {
                #expect(throws: ProtocolError.self, "\(trailing.count) trailing bytes") { try Request(frame: frame) }
            }
        }
    }

    @Test("settle actions other than 0 and 1, and pending states other than 0 and 1, are refused", arguments: [2, 3, 0x80, 0xFF] as [UInt8])
    func badSettleAction(_ action: UInt8) {
        var body = ByteBuffer()
        body.writeWireString("t")
        body.writeWireString("g")
        body.writeWire(action)
        body.writeWire(UInt32(1))
        body.writeWire(UInt64(0))
        let error = #expect(throws: ProtocolError.self) { try Request(frame: Frame(opcode: .groupSettle, requestID: 1, body: body)) }
        #expect(error?.code == .invalidRequest)
        var list = ByteBuffer()
        list.writeWire(UInt32(1))
        list.writeWire(UInt32(0))
        list.writeWire(UInt32(1))
        list.writeWire(UInt64(0))
        list.writeWire(action)
        list.writeWire(UInt16(1))
        list.writeWireString("")
        list.writeWire(Int32(0))
        list.writeWire(UInt32(0))
        list.writeWire(UInt32(0))
        #expect(throws: ProtocolError.self) { try Response(frame: Frame(opcode: .groupPendingList, requestID: 1, body: list)) }
    }

    @Test("reset kinds other than 0 to 4 are invalid_request", arguments: [5, 6, 0x80, 0xFF] as [UInt8])
    func badResetKind(_ kind: UInt8) {
        var body = ByteBuffer()
        body.writeWireString("t")
        body.writeWireString("g")
        body.writeWire(kind)
        body.writeWire(Int64(0))
        body.writeWire(UInt8(0))
        body.writeWire(UInt8(0))
        let error = #expect(throws: ProtocolError.self) {
            try Request(frame: Frame(opcode: .groupReset, requestID: 1, body: body))
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("reset kind") == true)
    }

    @Test("reset's execute and force read any non-zero byte as true")
    func resetBooleans() throws {
        var body = ByteBuffer()
        body.writeWireString("t")
        body.writeWireString("g")
        body.writeWire(UInt8(4))
        body.writeWire(Int64(-5))
        body.writeWire(UInt8(2))
        body.writeWire(UInt8(0xFF))
        let request = try Request(frame: Frame(opcode: .groupReset, requestID: 1, body: body))
        #expect(request == .group(.reset(topic: "t", group: "g", target: .shift(-5), execute: true, force: true)))
    }

    @Test("a GROUP_DELIVERY carries its delivery count, then a RECORDS body that verifies end to end")
    func groupDeliveryVerifies() throws {
        let payloads: [[UInt8]] = [Array("a".utf8), Array("bc".utf8)]
        let frame = try throughWire(groupDelivery(3, firstOffset: 10, payloads).frame(requestID: 5))
        #expect(frame.body.getInteger(at: frame.body.readerIndex, endianness: .little, as: UInt16.self) == 3)
        guard case .groupDelivery(let count, let header, let index, let data) = try Response(frame: frame) else {
            Issue.record("not GROUP_DELIVERY")
            return
        }
        #expect(count == 3)
        #expect(try verifyRecords(header, index: index, data: data).map(\.payload) == payloads)
        #expect(try header.records(index: index, data: data).map(\.offset) == [10, 11])
    }

    @Test("a GROUP_DELIVERY too short for its index entries is rejected")
    func groupDeliveryTooShort() {
        var body = ByteBuffer()
        body.writeWire(UInt16(1))
        WireRecordsHeader(firstOffset: 0, count: 1, logEndOffset: 1).encode(into: &body)
        body.writeRepeatingByte(0, count: 31)
        #expect(throws: ProtocolError.self) { try Response(frame: Frame(opcode: .groupDelivery, requestID: 1, body: body)) }
    }
}
