import Foundation
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Inputs the protocol fuzzers (scripts/fuzz.sh) found to crash the daemon or break the spec,
/// each widened to the neighbouring inputs.
@Suite(.timeLimit(.minutes(15))) struct FuzzFindingsTests {
    /// A timestamp start position on a topic whose only segment is empty underflowed in the
    /// timestamp search. Every request that takes a start position, with the extreme timestamps,
    /// on an empty topic, a topic with records, and one that has just rolled to an empty segment.
    @Test func extremeTimestampStartsOnEmptySegmentsAreAnswered() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let session = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "empty", config: WireTopicConfig(durability: "none"))) == nil)
        #expect(try await session.errorCode(of: .createTopic(name: "full", config: WireTopicConfig(durability: "none"))) == nil)
        #expect(try await session.errorCode(of: .createTopic(name: "rolled", config: WireTopicConfig(segmentBytes: 4096, durability: "none"))) == nil)
        let records = ValueRangeTests.records([[UInt8](repeating: 1, count: 3000)])
        for topic in ["full", "rolled", "rolled"] {
            #expect(try await session.errorCode(of: .produce(topic: topic, ack: .write, count: 1, records: records)) == nil)
        }
        var id: UInt32 = 100
        for topic in ["empty", "full", "rolled"] {
            for time: Int64 in [.min, .min + 1, -1, 0, 1, .max - 1, .max] {
                let start = WireStart.timestamp(time)
                let requests: [Request] = [
                    .fetch(topic: topic, start: start, maxRecords: 1, maxBytes: 1, waitMilliseconds: 0),
                    .group(.offset(topic: topic, group: "o\(id)", start: start)),
                    .group(.reset(topic: topic, group: "o\(id)", target: .timestamp(time), execute: true, force: false)),
                ]
                for request in requests {
                    id += 1
                    try session.send(request, id: id)
                    _ = try await session.frame(answering: id)
                }
                id += 1
                try session.send(.subscribe(topic: topic, start: start, creditRecords: 0, creditBytes: 0), id: id)
                _ = try await session.frame(answering: id)
                id += 1
                try session.send(.group(.join(topic: topic, group: "j\(id)", start: start, settings: WireGroupSettings())), id: id)
                _ = try await session.frame(answering: id)
            }
        }
        // Every request was answered (each wait above throws if its answer never comes).
        #expect(daemon.isRunning)
        #expect(await daemon.stop() == 0)
    }

    /// A client that sends a burst ending in a request the daemon refuses, then closes at once:
    /// the flush of that refusal fails while NIO handles the end of input.
    @Test func aClientClosingRightAfterABurstNeverCrashesTheDaemon() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        var hello = ByteBuffer()
        Request.hello(minVersion: 1, maxVersion: 1, clientName: "demo").encodeFrame(requestID: 1, into: &hello)
        for size in [64, 512, 1024, 2047, 2048, 2049, 4096, 8192, 65_536, 65_537, 200_000] {
            // DESCRIBE_TOPIC whose name is not UTF-8, padded so the whole burst is `size` bytes.
            let nameLength = size - hello.readableBytes - 14
            var burst = hello
            Frame.writeHeader(into: &burst, opcode: Opcode(rawValue: 0x13), requestID: 2, bodyLength: 2 + nameLength)
            burst.writeInteger(UInt16(truncatingIfNeeded: nameLength), endianness: .little)
            burst.writeBytes([UInt8](repeating: 0xFF, count: nameLength))
            for _ in 0..<5 {
                let connection = try RawConnection(path: daemon.socketPath)
                try? connection.send(Array(burst.readableBytesView))
            }
        }
        let session = try await RawSession.connect(socket: daemon.socketPath)
        try session.send(.ping, id: 1)
        #expect(try await session.response() == .pong)
        #expect(daemon.isRunning)
        #expect(await daemon.stop() == 0)
    }

    /// A second HELLO ends the connection with hello_required whether or not its body parses.
    @Test func aSecondHelloClosesEvenWhenItsBodyIsBroken() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let bodies: [[UInt8]] = [
            [], [1, 0], [1, 0, 1, 0, 1, 0, 0xFF], [1, 0, 1, 0, 4, 0, 0x64], [1, 0, 1, 0, 0, 0],
            [1, 0, 1, 0, 0, 0, 9, 9],
        ]
        for body in bodies {
            let session = try await RawSession.connect(socket: daemon.socketPath)
            var frame = ByteBuffer()
            Frame.writeHeader(into: &frame, opcode: .hello, requestID: 2, bodyLength: body.count)
            frame.writeBytes(body)
            try session.connection.send(Array(frame.readableBytesView))
            guard case .error(let error) = try await session.response() else {
                Issue.record("no ERROR for a second HELLO with body \(body)")
                continue
            }
            #expect(error.code == .helloRequired, "\(body)")
            #expect(await session.isClosedByPeer())
        }
        #expect(await daemon.stop() == 0)
    }
}
