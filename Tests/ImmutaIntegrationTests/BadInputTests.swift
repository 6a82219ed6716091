import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Each case gets a clear ERROR frame where one can be sent, then the connection closes; none
/// disturbs the daemon or other clients.
@Suite(.timeLimit(.minutes(15))) struct BadInputTests {
    /// A daemon plus a healthy client that must keep working through every bad input.
    struct Fixture {
        let dir = TemporaryDirectory()
        let daemon: DaemonProcess
        let bystander: ImmutaClient
        let subscription: ImmutaSubscription

        init() async throws {
            daemon = try await DaemonProcess.start(in: dir.path)
            bystander = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "bystander")
            try await bystander.createTopic("steady", options: TopicOptions(durability: "none"))
            subscription = try await bystander.subscribe("steady", from: .earliest)
        }

        /// The bystander can still produce and its subscription still delivers.
        func checkUndisturbed(_ marker: String) async throws {
            let produced = try await bystander.produce("steady", [Array(marker.utf8)], ack: .write)
            var iterator = subscription.makeAsyncIterator()
            var seen: ImmutaRecord?
            repeat { seen = try await iterator.next() } while seen != nil && seen!.offset < produced.firstOffset
            #expect(seen?.string == marker)
            #expect(daemon.isRunning)
        }

        func finish() async {
            await bystander.close()
            #expect(await daemon.stop() == 0)
        }
    }

    static func frameBytes(_ opcode: UInt8, requestID: UInt32 = 1, body: [UInt8] = []) -> [UInt8] {
        var buffer = ByteBuffer()
        Frame.writeHeader(into: &buffer, opcode: Opcode(rawValue: opcode), requestID: requestID, bodyLength: body.count)
        buffer.writeBytes(body)
        return Array(buffer.readableBytesView)
    }

    static var hello: [UInt8] {
        var buffer = ByteBuffer()
        Request.hello(minVersion: 1, maxVersion: 1, clientName: "raw").frame(requestID: 1).encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Reads one ERROR frame and returns its code and message.
    static func readError(_ connection: RawConnection) throws -> ProtocolError {
        let bytes = connection.receive(atLeast: 4)
        var buffer = ByteBuffer(bytes: bytes)
        if bytes.count >= 4, let length = buffer.getInteger(at: 0, endianness: .little, as: UInt32.self) {
            buffer.writeBytes(connection.receive(atLeast: Int(length) + 4 - bytes.count))
        }
        // Skip a HELLO_OK if one came first.
        while let frame = try FrameDecoder.decodeFrame(from: &buffer, maxFrameLength: 1 << 24) {
            if case .error(let error) = try Response(frame: frame) { return error }
            if buffer.readableBytes < 4 { buffer.writeBytes(connection.receive(atLeast: 12)) }
        }
        throw DaemonTestError("no ERROR frame arrived; got \(bytes.count) bytes")
    }

    @Test func garbageBytes() async throws {
        let fixture = try await Fixture()
        for seed in 0..<5 {
            var rng = SeededGenerator(seed: UInt64(seed))
            let connection = try RawConnection(path: fixture.daemon.socketPath)
            try connection.send((0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let error = try Self.readError(connection)
            #expect([ErrorCode.malformedFrame, .frameTooLarge, .helloRequired].contains(error.code))
            #expect(connection.isClosedByPeer())
        }
        try await fixture.checkUndisturbed("after garbage")
        await fixture.finish()
    }

    @Test func lengthOverTheMaximumIsRefusedBeforeTheBodyArrives() async throws {
        let fixture = try await Fixture()
        for length: UInt32 in [UInt32(ServerConfigurationDefaults.maxFrameLength) + 1, 1 << 30, .max] {
            let connection = try RawConnection(path: fixture.daemon.socketPath)
            try connection.send(Self.hello)
            var header = ByteBuffer()
            header.writeInteger(length, endianness: .little)
            try connection.send(Array(header.readableBytesView))
            let error = try Self.readError(connection)
            #expect(error.code == .frameTooLarge)
            #expect(error.message.contains("exceeds the maximum"))
            #expect(connection.isClosedByPeer())
        }
        try await fixture.checkUndisturbed("after oversize")
        await fixture.finish()
    }

    @Test func truncatedFrameThenEOF() async throws {
        let fixture = try await Fixture()
        let ping = Self.frameBytes(Opcode.ping.rawValue, requestID: 9)
        for cut in 1..<ping.count {
            let connection = try RawConnection(path: fixture.daemon.socketPath)
            try connection.send(Self.hello)
            try connection.send(Array(ping[0..<cut]))
            connection.shutdownWrite()
            #expect(connection.isClosedByPeer())
        }
        try await fixture.checkUndisturbed("after truncation")
        await fixture.finish()
    }

    @Test func unknownOpcode() async throws {
        let fixture = try await Fixture()
        for opcode: UInt8 in [0x00, 0x08, 0x0F, 0x26, 0x7F, 0x80, 0xA1, 0xFE] {
            let connection = try RawConnection(path: fixture.daemon.socketPath)
            try connection.send(Self.hello + Self.frameBytes(opcode))
            let error = try Self.readError(connection)
            #expect(error.code == .unknownOpcode)
            #expect(connection.isClosedByPeer())
        }
        try await fixture.checkUndisturbed("after unknown opcodes")
        await fixture.finish()
    }

    @Test func wrongProtocolVersion() async throws {
        let fixture = try await Fixture()
        for (low, high): (UInt16, UInt16) in [(0, 0), (2, 9), (9, 2)] {
            var body = ByteBuffer()
            body.writeInteger(low, endianness: .little)
            body.writeInteger(high, endianness: .little)
            body.writeWireString("old")
            let connection = try RawConnection(path: fixture.daemon.socketPath)
            try connection.send(Self.frameBytes(Opcode.hello.rawValue, body: Array(body.readableBytesView)))
            let error = try Self.readError(connection)
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("protocol version 1"))
            #expect(connection.isClosedByPeer())
        }
        try await fixture.checkUndisturbed("after versions")
        await fixture.finish()
    }

    @Test func requestBeforeHello() async throws {
        let fixture = try await Fixture()
        for opcode in [Opcode.ping, .listTopics, .stats] {
            let connection = try RawConnection(path: fixture.daemon.socketPath)
            try connection.send(Self.frameBytes(opcode.rawValue))
            let error = try Self.readError(connection)
            #expect(error.code == .helloRequired)
            #expect(connection.isClosedByPeer())
        }
        try await fixture.checkUndisturbed("after no hello")
        await fixture.finish()
    }

    @Test func clientDisconnectingMidFrame() async throws {
        let fixture = try await Fixture()
        var records = ByteBuffer()
        for i in 0..<100 { records.writeInteger(UInt64(4), endianness: .little); records.writeString(String(format: "%04d", i)) }
        var produce = ByteBuffer()
        Request.produce(topic: "steady", ack: .fsync, count: 100, records: records).frame(requestID: 5).encode(into: &produce)
        let bytes = Array(produce.readableBytesView)
        let before = try await fixture.bystander.describeTopic("steady").nextOffset
        for cut in stride(from: 1, to: bytes.count, by: 97) {
            var connection: RawConnection? = try RawConnection(path: fixture.daemon.socketPath)
            try connection!.send(Self.hello + bytes[0..<cut])
            connection = nil  // closes the socket mid-frame
        }
        // No partial batch was written.
        #expect(try await fixture.bystander.describeTopic("steady").nextOffset == before)
        try await fixture.checkUndisturbed("after disconnects")
        await fixture.finish()
    }

    @Test func subscriberThatNeverReadsCostsBoundedMemory() async throws {
        let fixture = try await Fixture()
        try await fixture.bystander.createTopic("flood", options: TopicOptions(durability: "none"))
        let connection = try RawConnection(path: fixture.daemon.socketPath)
        var subscribe = ByteBuffer()
        Request.subscribe(topic: "flood", start: .earliest, creditRecords: .max, creditBytes: .max)
            .frame(requestID: 2).encode(into: &subscribe)
        try connection.send(Self.hello + Array(subscribe.readableBytesView))
        let payload = [UInt8](repeating: 7, count: 64 << 10)
        let rssBefore = try fixture.daemon.residentKilobytes()
        for _ in 0..<40 {
            try await fixture.bystander.produce("flood", Array(repeating: payload, count: 64), ack: .write)  // 4 MiB each
        }
        try await fixture.checkUndisturbed("while a subscriber stalls")
        let rssAfter = try fixture.daemon.residentKilobytes()
        // 160 MiB were produced for a reader that reads nothing; the daemon holds on to little of it.
        #expect(!TestBudget.measuresMemory || rssAfter - rssBefore < 64 << 10, "daemon RSS grew by \(rssAfter - rssBefore) KiB")
        await fixture.finish()
    }

    @Test func thousandConnectionsOpenedAndDroppedLeakNoDescriptors() async throws {
        let fixture = try await Fixture()
        _ = try await fixture.bystander.ping()
        let before = try fixture.daemon.openDescriptorCount()
        for round in 0..<10 {
            var connections: [RawConnection] = []
            for i in 0..<100 {
                let connection = try RawConnection(path: fixture.daemon.socketPath)
                if (round + i) % 2 == 0 { try connection.send(Self.hello) }
                connections.append(connection)
            }
            connections.removeAll()
        }
        // The daemon has seen every close once a fresh client's requests are answered in order.
        var settled = false
        for _ in 0..<200 where !settled {
            _ = try await fixture.bystander.ping()
            let stats = try await fixture.bystander.stats()
            settled = stats["connections"] == 1 && stats["connections_accepted"]! >= 1001
            if !settled { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(settled)
        #expect(try fixture.daemon.openDescriptorCount() == before)
        try await fixture.checkUndisturbed("after 1000 connections")
        await fixture.finish()
    }
}

enum ServerConfigurationDefaults {
    static let maxFrameLength = (16 << 20) + (64 << 10)
}
