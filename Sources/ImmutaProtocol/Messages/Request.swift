import NIOCore

/// A client request, decoded from or encoded to a frame body.
public enum Request: Sendable, Equatable {
    /// Body: min_version u16, max_version u16, client_name string.
    case hello(minVersion: UInt16, maxVersion: UInt16, clientName: String)
    /// Body: empty.
    case ping
    /// Body: empty.
    case stats
    /// Body: name string, topic config.
    case createTopic(name: String, config: WireTopicConfig)
    /// Body: name string.
    case deleteTopic(name: String)
    /// Body: empty.
    case listTopics
    /// Body: name string.
    case describeTopic(name: String)
    /// Body: name string, topic config (0 or empty: unchanged; retention 2⁶⁴−1 / −1: no limit).
    case configureTopic(name: String, config: WireTopicConfig)
    /// Body: topic string, ack u8, count u32, then `count` seed-format records to the end.
    case produce(topic: String, ack: WireAck, count: UInt32, records: ByteBuffer)
    /// Body: topic string, ack u8, producer_id u64, sequence u64, count u32, then `count`
    /// seed-format records to the end.
    case produceIdempotent(topic: String, ack: WireAck, producer: UInt64, sequence: UInt64, count: UInt32, records: ByteBuffer)
    /// Body: topic string, start (kind u8, value u64), max_records u32, max_bytes u32, wait_ms u32.
    case fetch(topic: String, start: WireStart, maxRecords: UInt32, maxBytes: UInt32, waitMilliseconds: UInt32)
    /// Body: topic string, start (kind u8, value u64), credit_records u32, credit_bytes u64.
    case subscribe(topic: String, start: WireStart, creditRecords: UInt32, creditBytes: UInt64)
    /// Body: subscription u32, records u32, bytes u64.
    case credit(subscription: UInt32, records: UInt32, bytes: UInt64)
    /// Body: subscription u32.
    case unsubscribe(subscription: UInt32)
    /// A consumer-group request (opcodes 0x40–0x4F).
    case group(GroupRequest)
    /// An access-control request (opcodes 0x04–0x05).
    case access(AccessRequest)
    /// MIRROR_LIST or MIRROR_CONTROL (opcodes 0x06–0x07).
    case mirror(MirrorRequest)

    /// The opcode of this request.
    public var opcode: Opcode {
        switch self {
        case .hello: .hello
        case .ping: .ping
        case .stats: .stats
        case .createTopic: .createTopic
        case .deleteTopic: .deleteTopic
        case .listTopics: .listTopics
        case .describeTopic: .describeTopic
        case .configureTopic: .configureTopic
        case .produce: .produce
        case .produceIdempotent: .produceIdempotent
        case .fetch: .fetch
        case .subscribe: .subscribe
        case .credit: .credit
        case .unsubscribe: .unsubscribe
        case .group(let request): request.opcode
        case .access(let request): request.opcode
        case .mirror(let request): request.opcode
        }
    }

    /// Writes the body.
    public func encodeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .hello(let minVersion, let maxVersion, let clientName):
            buffer.writeWire(minVersion)
            buffer.writeWire(maxVersion)
            buffer.writeWireString(clientName)
        case .ping, .stats, .listTopics:
            break
        case .createTopic(let name, let config), .configureTopic(let name, let config):
            buffer.writeWireString(name)
            config.encode(into: &buffer)
        case .deleteTopic(let name), .describeTopic(let name):
            buffer.writeWireString(name)
        case .produce(let topic, let ack, let count, var records):
            buffer.writeWireString(topic)
            buffer.writeWire(ack.rawValue)
            buffer.writeWire(count)
            buffer.writeBuffer(&records)
        case .produceIdempotent(let topic, let ack, let producer, let sequence, let count, var records):
            buffer.writeWireString(topic)
            buffer.writeWire(ack.rawValue)
            buffer.writeWire(producer)
            buffer.writeWire(sequence)
            buffer.writeWire(count)
            buffer.writeBuffer(&records)
        case .fetch(let topic, let start, let maxRecords, let maxBytes, let wait):
            buffer.writeWireString(topic)
            start.encode(into: &buffer)
            buffer.writeWire(maxRecords)
            buffer.writeWire(maxBytes)
            buffer.writeWire(wait)
        case .subscribe(let topic, let start, let records, let bytes):
            buffer.writeWireString(topic)
            start.encode(into: &buffer)
            buffer.writeWire(records)
            buffer.writeWire(bytes)
        case .credit(let subscription, let records, let bytes):
            buffer.writeWire(subscription)
            buffer.writeWire(records)
            buffer.writeWire(bytes)
        case .unsubscribe(let subscription):
            buffer.writeWire(subscription)
        case .group(let request):
            request.encodeBody(into: &buffer)
        case .access(let request):
            request.encodeBody(into: &buffer)
        case .mirror(let request):
            request.encodeBody(into: &buffer)
        }
    }

    /// Decodes a request frame.
    ///
    /// - Throws: ``ProtocolError`` with ``ErrorCode/unknownOpcode`` for an opcode that is not a
    ///   request, or ``ErrorCode/invalidRequest`` for a body that does not parse.
    public init(frame: Frame) throws {
        var body = frame.body
        switch frame.opcode {
        case .hello:
            self = .hello(
                minVersion: try body.readWire(UInt16.self, "min_version"),
                maxVersion: try body.readWire(UInt16.self, "max_version"),
                clientName: try body.readWireString("client_name"))
        case .ping: self = .ping
        case .stats: self = .stats
        case .listTopics: self = .listTopics
        case .createTopic:
            self = .createTopic(name: try body.readWireString("name"), config: try WireTopicConfig.decode(from: &body))
        case .configureTopic:
            self = .configureTopic(name: try body.readWireString("name"), config: try WireTopicConfig.decode(from: &body))
        case .deleteTopic: self = .deleteTopic(name: try body.readWireString("name"))
        case .describeTopic: self = .describeTopic(name: try body.readWireString("name"))
        case .produce:
            let topic = try body.readWireString("topic")
            let ack = try Self.readAck(&body)
            let count = try body.readWire(UInt32.self, "count")
            try Self.checkRecords(body, count: count)
            self = .produce(topic: topic, ack: ack, count: count, records: body)
            return
        case .produceIdempotent:
            let topic = try body.readWireString("topic")
            let ack = try Self.readAck(&body)
            let producer = try body.readWire(UInt64.self, "producer_id")
            let sequence = try body.readWire(UInt64.self, "sequence")
            let count = try body.readWire(UInt32.self, "count")
            try Self.checkRecords(body, count: count)
            self = .produceIdempotent(topic: topic, ack: ack, producer: producer, sequence: sequence, count: count, records: body)
            return
        case .fetch:
            self = .fetch(
                topic: try body.readWireString("topic"), start: try WireStart.decode(from: &body),
                maxRecords: try body.readWire(UInt32.self, "max_records"),
                maxBytes: try body.readWire(UInt32.self, "max_bytes"),
                waitMilliseconds: try body.readWire(UInt32.self, "wait_ms"))
        case .subscribe:
            self = .subscribe(
                topic: try body.readWireString("topic"), start: try WireStart.decode(from: &body),
                creditRecords: try body.readWire(UInt32.self, "credit_records"),
                creditBytes: try body.readWire(UInt64.self, "credit_bytes"))
        case .credit:
            self = .credit(
                subscription: try body.readWire(UInt32.self, "subscription"),
                records: try body.readWire(UInt32.self, "records"), bytes: try body.readWire(UInt64.self, "bytes"))
        case .unsubscribe:
            self = .unsubscribe(subscription: try body.readWire(UInt32.self, "subscription"))
        case .groupJoin, .groupAck, .groupNack, .groupLeave, .groupCommit, .groupOffset, .groupList, .groupDescribe,
            .groupReset, .groupDelete, .groupRecovery, .groupConfigure, .groupPending, .groupSettle:
            self = .group(try GroupRequest.decode(frame.opcode, body: &body))
        case .accessCheck, .listConnections:
            self = .access(try AccessRequest.decode(frame.opcode, body: &body))
        case .mirrorList, .mirrorControl:
            self = .mirror(try MirrorRequest.decode(frame.opcode, body: &body))
        default:
            throw ProtocolError(.unknownOpcode, "opcode \(frame.opcode) is not a request this server knows")
        }
        try body.expectFullyRead("\(frame.opcode) body")
    }

    private static func readAck(_ body: inout ByteBuffer) throws -> WireAck {
        let rawAck = try body.readWire(UInt8.self, "ack")
        guard let ack = WireAck(rawValue: rawAck) else {
            throw ProtocolError(.invalidRequest, "ack \(rawAck) is not 0 (write) or 1 (fsync)")
        }
        return ack
    }

    /// Checks that `records` holds exactly `count` seed-format records (u64 size, payload) and
    /// nothing else, reading only the size prefixes.
    private static func checkRecords(_ records: ByteBuffer, count: UInt32) throws {
        var position = records.readerIndex
        let end = records.writerIndex
        var found: UInt32 = 0
        while position < end {
            guard found < count else {
                throw ProtocolError(.invalidRequest, "records: more records than the count of \(count)")
            }
            guard let size = records.getInteger(at: position, endianness: .little, as: UInt64.self) else {
                throw ProtocolError(.invalidRequest, "records: record \(found) has a cut-off 8-byte size prefix")
            }
            guard size <= UInt64(end - position - 8) else {
                throw ProtocolError(
                    .invalidRequest, "records: record \(found) declares \(size) bytes but only \(end - position - 8) follow")
            }
            position += 8 + Int(size)
            found += 1
        }
        guard found == count else {
            throw ProtocolError(.invalidRequest, "records: the body holds \(found) records but the count is \(count)")
        }
    }
}
