import NIOCore

/// A server response or push, decoded from or encoded to a frame body.
public enum Response: Sendable, Equatable {
    /// Body: empty.
    case ok
    /// Body: version u16, server string, max_frame_length u32, max_record_bytes u64.
    case helloOK(version: UInt16, server: String, maxFrameLength: UInt32, maxRecordBytes: UInt64)
    /// Body: empty.
    case pong
    /// Body: count u32, then `count` pairs of name string and value i64.
    case stats([StatsEntry])
    /// Body: a topic info.
    case topicInfo(WireTopicInfo)
    /// Body: count u32, then `count` topic infos.
    case topicList([WireTopicInfo])
    /// Body: first_offset u64, count u32, timestamp i64.
    case produced(firstOffset: UInt64, count: UInt32, timestamp: Int64)
    /// Body: first_offset u64, count u32, timestamp i64, duplicate u8 (1: a resend of a batch
    /// stored earlier, answered with its original offsets; nothing was appended).
    case producedIdempotent(firstOffset: UInt64, count: UInt32, timestamp: Int64, duplicate: Bool)
    /// Body: records header, `count` 32-byte index entries, then seed-format records.
    case records(WireRecordsHeader, index: ByteBuffer, data: ByteBuffer)
    /// Body: start_offset u64.
    case subscribed(startOffset: UInt64)
    /// A push for a subscription (the frame's request id is the SUBSCRIBE's). Same body as RECORDS.
    case delivery(WireRecordsHeader, index: ByteBuffer, data: ByteBuffer)
    /// Body: code u16, message string.
    case error(ProtocolError)
    /// A consumer-group response (opcodes 0xB0–0xBF).
    case group(GroupResponse)
    /// An access-control response (opcodes 0x84–0x85).
    case access(AccessResponse)
    /// MIRROR_LIST_RESULT (opcode 0x86).
    case mirror(MirrorResponse)
    /// A push for a group member (request id = the GROUP_JOIN's). Body: delivery_count u16, then as RECORDS.
    case groupDelivery(deliveryCount: UInt16, WireRecordsHeader, index: ByteBuffer, data: ByteBuffer)

    /// One named counter in a STATS_RESULT.
    public struct StatsEntry: Sendable, Hashable {
        public var name: String
        public var value: Int64
        public init(name: String, value: Int64) {
            self.name = name
            self.value = value
        }
    }

    /// The opcode of this response.
    public var opcode: Opcode {
        switch self {
        case .ok: .ok
        case .helloOK: .helloOK
        case .pong: .pong
        case .stats: .statsResult
        case .topicInfo: .topicInfo
        case .topicList: .topicList
        case .produced: .produced
        case .producedIdempotent: .producedIdempotent
        case .records: .records
        case .subscribed: .subscribed
        case .delivery: .delivery
        case .error: .error
        case .group(let response): response.opcode
        case .access(let response): response.opcode
        case .mirror(let response): response.opcode
        case .groupDelivery: .groupDelivery
        }
    }

    /// Writes the body.
    public func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .ok, .pong: break
        case .helloOK(let version, let server, let maxFrame, let maxRecord):
            buffer.writeWire(version)
            buffer.writeWireString(server)
            buffer.writeWire(maxFrame)
            buffer.writeWire(maxRecord)
        case .stats(let entries):
            buffer.writeWire(UInt32(entries.count))
            for entry in entries {
                buffer.writeWireString(entry.name)
                buffer.writeWire(entry.value)
            }
        case .topicInfo(let info): info.encode(into: &buffer)
        case .topicList(let infos):
            buffer.writeWire(UInt32(infos.count))
            for info in infos { info.encode(into: &buffer) }
        case .produced(let first, let count, let timestamp):
            buffer.writeWire(first)
            buffer.writeWire(count)
            buffer.writeWire(timestamp)
        case .producedIdempotent(let first, let count, let timestamp, let duplicate):
            buffer.writeWire(first)
            buffer.writeWire(count)
            buffer.writeWire(timestamp)
            buffer.writeWire(UInt8(duplicate ? 1 : 0))
        case .records(let header, var index, var data), .delivery(let header, var index, var data):
            header.encode(into: &buffer)
            buffer.writeBuffer(&index)
            buffer.writeBuffer(&data)
        case .subscribed(let start): buffer.writeWire(start)
        case .error(let error):
            buffer.writeWire(error.code.rawValue)
            buffer.writeWireString(error.message)
        case .group(let response):
            response.encodeBody(into: &buffer)
        case .access(let response):
            response.encodeBody(into: &buffer)
        case .mirror(let response):
            response.encodeBody(into: &buffer)
        case .groupDelivery(let count, let header, var index, var data):
            buffer.writeWire(count)
            header.encode(into: &buffer)
            buffer.writeBuffer(&index)
            buffer.writeBuffer(&data)
        }
    }

    /// Decodes a response frame.
    public init(frame: Frame) throws {
        var body = frame.body
        switch frame.opcode {
        case .ok: self = .ok
        case .pong: self = .pong
        case .helloOK:
            self = .helloOK(
                version: try body.readWire(UInt16.self, "version"), server: try body.readWireString("server"),
                maxFrameLength: try body.readWire(UInt32.self, "max_frame_length"),
                maxRecordBytes: try body.readWire(UInt64.self, "max_record_bytes"))
        case .statsResult:
            let count = try body.readWire(UInt32.self, "count")
            var entries: [StatsEntry] = []
            for _ in 0..<count {
                entries.append(StatsEntry(name: try body.readWireString("name"), value: try body.readWire(Int64.self, "value")))
            }
            self = .stats(entries)
        case .topicInfo: self = .topicInfo(try WireTopicInfo.decode(from: &body))
        case .topicList:
            let count = try body.readWire(UInt32.self, "count")
            var infos: [WireTopicInfo] = []
            for _ in 0..<count { infos.append(try WireTopicInfo.decode(from: &body)) }
            self = .topicList(infos)
        case .produced:
            self = .produced(
                firstOffset: try body.readWire(UInt64.self, "first_offset"), count: try body.readWire(UInt32.self, "count"),
                timestamp: try body.readWire(Int64.self, "timestamp"))
        case .producedIdempotent:
            let first = try body.readWire(UInt64.self, "first_offset")
            let count = try body.readWire(UInt32.self, "count")
            let timestamp = try body.readWire(Int64.self, "timestamp")
            let duplicate = try body.readWire(UInt8.self, "duplicate")
            guard duplicate <= 1 else { throw ProtocolError(.malformedFrame, "duplicate \(duplicate) is not 0 or 1") }
            self = .producedIdempotent(firstOffset: first, count: count, timestamp: timestamp, duplicate: duplicate == 1)
        case .records, .delivery:
            let header = try WireRecordsHeader.decode(from: &body)
            guard let index = body.readSlice(length: Int(header.count) * 32) else {
                throw ProtocolError(.malformedFrame, "\(frame.opcode) declares \(header.count) index entries but the frame is too short")
            }
            self = frame.opcode == .records
                ? .records(header, index: index, data: body) : .delivery(header, index: index, data: body)
            return
        case .subscribed: self = .subscribed(startOffset: try body.readWire(UInt64.self, "start_offset"))
        case .groupDelivery:
            let count = try body.readWire(UInt16.self, "delivery_count")
            let header = try WireRecordsHeader.decode(from: &body)
            guard let index = body.readSlice(length: Int(header.count) * 32) else {
                throw ProtocolError(.malformedFrame, "GROUP_DELIVERY declares \(header.count) index entries but the frame is too short")
            }
            self = .groupDelivery(deliveryCount: count, header, index: index, data: body)
            return
        case .groupJoined, .groupCommitted, .groupListResult, .groupInfo, .groupResetPlan, .groupRecoveryNotes,
            .groupPendingList:
            self = .group(try GroupResponse.decode(frame.opcode, body: &body))
        case .accessDecision, .connectionList:
            self = .access(try AccessResponse.decode(frame.opcode, body: &body))
        case .mirrorListResult:
            self = .mirror(try MirrorResponse.decode(frame.opcode, body: &body))
        case .error:
            let code = try body.readWire(UInt16.self, "code")
            self = .error(ProtocolError(ErrorCode(rawValue: code), try body.readWireString("message")))
        default:
            throw ProtocolError(.unknownOpcode, "opcode \(frame.opcode) is not a response this client knows")
        }
        try body.expectFullyRead("\(frame.opcode) body")
    }
}
