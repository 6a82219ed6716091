import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Each limit refuses with its own code and a message naming the limit and its value.
@Suite(.timeLimit(.minutes(15))) struct LimitTests {
    /// Reads the connection-level ERROR a refused connection gets before the daemon closes it.
    static func refusal(_ connection: RawConnection) throws -> ProtocolError {
        var buffer = ByteBuffer(bytes: connection.receive(atLeast: 12))
        guard buffer.readableBytes >= 4, let length = buffer.getInteger(at: 0, endianness: .little, as: UInt32.self) else {
            throw DaemonTestError("no frame")
        }
        buffer.writeBytes(connection.receive(atLeast: Int(length) + 4 - buffer.readableBytes))
        guard let frame = try FrameDecoder.decodeFrame(from: &buffer, maxFrameLength: 1 << 20),
            case .error(let error) = try Response(frame: frame)
        else { throw DaemonTestError("not an ERROR") }
        return error
    }

    @Test func connectionsBeyondThePerUIDLimitAreRefusedWithTheirOwnCode() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "max_connections_per_uid: 5\n")
        var open: [RawSession] = []
        for _ in 0..<5 { open.append(try await RawSession.connect(socket: daemon.socketPath)) }
        for _ in 0..<3 {
            let refused = try RawConnection(path: daemon.socketPath)
            let error = try Self.refusal(refused)
            #expect(error.code == .tooManyConnections)
            #expect(error.message.contains("max_connections_per_uid = 5"))
            #expect(refused.isClosedByPeer())
        }
        // Closing one makes room for one.
        open.removeLast()
        let admitted = await eventually { (try? await RawSession.connect(socket: daemon.socketPath)) != nil }
        #expect(admitted)
        #expect(daemon.output.components(separatedBy: "client reached a limit").count - 1 <= 4, "logged once per client")
        #expect(await daemon.stop() == 0)
    }

    @Test func aConnectionThatNeverSaysHelloIsClosedAfterTheHandshakeTimeout() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "handshake_timeout: 200ms\n")
        let silent = try RawConnection(path: daemon.socketPath)
        let half = try RawConnection(path: daemon.socketPath)
        try half.send([0x20, 0x00])  // half a length field
        for connection in [silent, half] {
            #expect(try Self.refusal(connection).code == .handshakeTimeout)
            #expect(connection.isClosedByPeer())
        }
        #expect(await daemon.stop() == 0)
    }

    @Test func idleConnectionsCloseButQuietFollowersStay() async throws {
        let dir = TemporaryDirectory()
        // Every connection here must send its first request within the timeout; 1 s was too short
        // on a loaded CI machine (the admin's connection was closed between HELLO and its request).
        let idleSeconds = TestBudget.sanitizer == nil ? 3 : 6
        let daemon = try await DaemonProcess.start(in: dir.path, config: "idle_timeout: \(idleSeconds)s\n")
        let admin = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await admin.errorCode(of: .createTopic(name: "t", config: WireTopicConfig(durability: "none"))) == nil)
        // Each opens what keeps it busy in its first request, well within the timeout.
        let follower = try await RawSession.connect(socket: daemon.socketPath)
        try follower.send(.subscribe(topic: "t", start: .latest, creditRecords: 100, creditBytes: 1 << 20), id: 2)
        let waiter = try await RawSession.connect(socket: daemon.socketPath)
        try waiter.send(.fetch(topic: "t", start: .latest, maxRecords: 1, maxBytes: 100, waitMilliseconds: 60_000), id: 3)
        #expect(try await follower.response() == .subscribed(startOffset: 0))
        let idle = try await RawSession.connect(socket: daemon.socketPath)
        guard case .error(let error) = try await idle.response() else {
            Issue.record("the idle connection got something else")
            return
        }
        #expect(error.code == .idleTimeout)
        #expect(idle.connection.isClosedByPeer())
        // The idle one is gone well past the timeout; the follower and the waiting fetch are served.
        let producer = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await producer.errorCode(of: .produce(topic: "t", ack: .write, count: 1, records: ValueRangeTests.records([[9]]))) == nil)
        guard case .delivery(let header, _, _) = try await follower.response() else {
            Issue.record("no delivery")
            return
        }
        #expect(header.count == 1)
        guard case .records(let fetched, _, _) = try await waiter.response() else {
            Issue.record("no records")
            return
        }
        #expect(fetched.count == 1)
        #expect(await daemon.stop() == 0)
    }

    @Test func topicGroupAndSegmentLimits() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(
            in: dir.path, config: """
                max_topics: 3
                max_groups_per_topic: 2
                min_segment_bytes: 1MiB
                max_segment_bytes: 8MiB
                topic_defaults:
                  segment_bytes: 4MiB

                """)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        for name in ["a", "b", "c"] {
            #expect(try await session.errorCode(of: .createTopic(name: name, config: WireTopicConfig())) == nil)
        }
        #expect(try await session.errorCode(of: .createTopic(name: "d", config: WireTopicConfig())) == .tooManyTopics)
        #expect(try await session.errorCode(of: .deleteTopic(name: "c")) == nil)
        for size: UInt64 in [4096, (1 << 20) - 1, (8 << 20) + 1, 1 << 40] {
            let code = try await session.errorCode(of: .createTopic(name: "e", config: WireTopicConfig(segmentBytes: size)))
            #expect(code == .segmentSizeOutOfRange, "\(size)")
        }
        #expect(try await session.errorCode(of: .createTopic(name: "e", config: WireTopicConfig(segmentBytes: 1 << 20))) == nil)
        for group in ["g1", "g2"] {
            #expect(try await session.errorCode(of: .group(.offset(topic: "a", group: group, start: .earliest))) == nil)
        }
        #expect(try await session.errorCode(of: .group(.offset(topic: "a", group: "g3", start: .earliest))) == .tooManyGroups)
        #expect(try await session.errorCode(of: .group(.offset(topic: "b", group: "g3", start: .earliest))) == nil)
        #expect(await daemon.stop() == 0)
    }

    /// Every limit key, and the other numeric keys, with edge values: the daemon either refuses
    /// the file (exit 78, naming the setting and its range) or starts.
    @Test func everyNumericConfigurationKeyIsRangeChecked() async throws {
        let dir = TemporaryDirectory()
        let keys = ServerLimitKeys.all + ["max_frame_bytes", "event_loop_threads", "retention_check_interval"]
        let values = ["0", "1", "-1", "9223372036854775807", "9223372036854775806", "18446744073709551615", "1x"]
        for key in keys {
            for value in values {
                let path = dir.path + "/check.conf"
                try "\(key): \(value)\n".write(toFile: path, atomically: true, encoding: .utf8)
                let result = try await CliProcess(
                    ["--config", path, "--check-config"], socket: nil, executable: TestBinaries.path("immutad")
                ).finish()
                if result.status == 0 { continue }
                #expect(result.status == 78, "\(key): \(value) -> \(result.status) \(result.stderr)")
                #expect(result.stderr.contains(key), "\(key): \(value): \(result.stderr)")
            }
        }
    }
}

/// The limit keys, as docs/OPERATIONS.md lists them.
enum ServerLimitKeys {
    static let all = [
        "max_connections", "max_connections_per_uid", "max_requests_in_flight", "max_queued_reply_bytes",
        "max_subscriptions_per_connection", "max_topics", "max_groups_per_topic", "max_producers_per_topic",
        "producer_expiry", "min_segment_bytes", "max_segment_bytes", "max_open_segment_files", "handshake_timeout",
        "idle_timeout",
    ]
}
