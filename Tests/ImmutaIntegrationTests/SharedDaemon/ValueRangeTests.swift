import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Values from outside are range-checked where they enter: a client's CREATE_TOPIC, a
/// topic.json, a group's settings. None can make later arithmetic trap.
@Suite(.timeLimit(.minutes(15))) struct ValueRangeTests {
    static func records(_ payloads: [[UInt8]]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for payload in payloads {
            buffer.writeInteger(UInt64(payload.count), endianness: .little)
            buffer.writeBytes(payload)
        }
        return buffer
    }

    @Test func retentionAgesOutsideOneSecondToOneHundredYearsAreRefused() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(
            in: dir.path, config: "retention_check_interval: 100ms\nmin_segment_bytes: 4KiB\n")
        let session = try await RawSession.connect(socket: daemon.socketPath)
        let refused: [Int64] = [.max, .max - 1, 3_155_760_000_001, 999, 1, -2, .min, .min + 1]
        for (i, age) in refused.enumerated() {
            let code = try await session.errorCode(of: .createTopic(name: "r\(i)", config: WireTopicConfig(retentionMilliseconds: age)))
            #expect(code == .invalidRequest, "retention_ms \(age)")
        }
        // The extremes are accepted (-1: no limit), and retention runs over them without trapping:
        // each topic gets several segments, so the age check really runs.
        let payload = [UInt8](repeating: 7, count: 3000)
        for (i, age) in [Int64(1000), 3_155_760_000_000, -1].enumerated() {
            let config = WireTopicConfig(segmentBytes: 4096, retentionMilliseconds: age, durability: "none")
            #expect(try await session.errorCode(of: .createTopic(name: "ok\(i)", config: config)) == nil)
            for _ in 0..<3 {
                #expect(try await session.errorCode(of: .produce(topic: "ok\(i)", ack: .write, count: 1, records: Self.records([payload]))) == nil)
            }
        }
        // Once the 1 s topic lost a segment, retention has passed over every topic.
        let expired = try await eventually(timeout: .seconds(30)) {
            try session.send(.describeTopic(name: "ok0"), id: 9)
            guard case .topicInfo(let info) = try await session.response() else { return false }
            return info.earliestOffset > 0
        }
        #expect(expired)
        #expect(daemon.isRunning)
        let status = await daemon.stop()
        #expect(status == 0, "\(daemon.output.suffix(6000))")
    }

    @Test func aTopicJsonOutOfRangeStopsTheStartWithAClearError() async throws {
        let dir = TemporaryDirectory()
        var daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("edited")
        await client.close()
        #expect(await daemon.stop() == 0)
        let metadata = dir.path + "/data/topics/edited/topic.json"
        let original = try String(contentsOfFile: metadata, encoding: .utf8)
        let edits: [(String, String)] = [
            ("\"retention_ms\" : 9223372036854775807", "retention age 9223372036854775807 ms must be between 1 s and 100 years"),
            ("\"segment_bytes\" : 1", "segment size 1 must be from 4096"),
            ("\"max_record_bytes\" : 0", "maximum record size 0 must be from 1"),
            ("\"durability\" : \"interval:0\"", "interval:0"),
        ]
        for (field, says) in edits {
            let key = field.split(separator: ":")[0]
            let edited = original.split(separator: "\n").map { line in
                line.contains(key) ? "    " + field + "," : String(line)
            }.joined(separator: "\n")
            let patched = edited.contains(field) ? edited : original.replacingOccurrences(of: "\"config\" : {", with: "\"config\" : {\n    \(field),")
            try patched.write(toFile: metadata, atomically: true, encoding: .utf8)
            daemon = try await DaemonProcess.start(in: dir.path, waitUntilReady: false)
            #expect(await daemon.waitForExit() != 0, "started with \(field)")
            #expect(daemon.output.contains(says) && daemon.output.contains("topic.json"), "\(field): \(daemon.output)")
        }
        try original.write(toFile: metadata, atomically: true, encoding: .utf8)
        daemon = try await DaemonProcess.start(in: dir.path)
        #expect(await daemon.stop() == 0)
    }

    @Test func groupSettingsOutsideTheirRangesAreRefused() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "t", config: WireTopicConfig())) == nil)
        let bad: [WireGroupSettings] = [
            WireGroupSettings(maxInFlight: 1_000_001), WireGroupSettings(maxInFlight: .max),
            WireGroupSettings(ackTimeoutMilliseconds: 99), WireGroupSettings(ackTimeoutMilliseconds: 86_400_001),
            WireGroupSettings(ackTimeoutMilliseconds: .max), WireGroupSettings(maxDeliveries: 1001),
            WireGroupSettings(maxDeliveries: .max), WireGroupSettings(deadLetterTopic: "t"),
        ]
        for (i, settings) in bad.enumerated() {
            let code = try await session.errorCode(
                of: .group(.join(topic: "t", group: "g\(i)", start: .earliest, settings: settings)), id: UInt32(100 + i))
            #expect(code == .invalidRequest, "\(settings)")
        }
        let good: [WireGroupSettings] = [
            WireGroupSettings(maxInFlight: 1, ackTimeoutMilliseconds: 100, maxDeliveries: 1),
            WireGroupSettings(maxInFlight: 1_000_000, ackTimeoutMilliseconds: 86_400_000, maxDeliveries: 1000),
        ]
        for (i, settings) in good.enumerated() {
            let code = try await session.errorCode(
                of: .group(.join(topic: "t", group: "ok\(i)", start: .earliest, settings: settings)), id: UInt32(200 + i))
            #expect(code == nil, "\(settings)")
        }
        #expect(await daemon.stop() == 0)
    }

    /// A record its dead-letter topic refuses is delivered again and again; its delivery count
    /// saturates instead of trapping at the 65,535th delivery.
    @Test func deliveryCountOfARecordTheDeadLetterTopicRefusesSaturates() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "work", config: WireTopicConfig(durability: "none"))) == nil)
        #expect(
            try await session.errorCode(of: .createTopic(name: "tiny", config: WireTopicConfig(maxRecordBytes: 1, durability: "none")))
                == nil)
        #expect(try await session.errorCode(of: .produce(topic: "work", ack: .write, count: 1, records: Self.records([[1, 2, 3]]))) == nil)
        let settings = WireGroupSettings(maxInFlight: 1, maxDeliveries: 1, deadLetterTopic: "tiny")
        try session.send(.group(.join(topic: "work", group: "stuck", start: .earliest, settings: settings)), id: 1)
        var deliveries = 0
        var highest: UInt16 = 0
        let deadline = Deadline("for 65,540 deliveries of the nacked record", timeout: .seconds(240))
        while deliveries < 65_540 {
            try deadline.check("\(deliveries) so far")
            let frame = try await session.frame()
            guard case .groupDelivery(let count, let header, _, _) = try Response(frame: frame) else { continue }
            guard header.count == 1 else { continue }  // the idle marker
            deliveries += 1
            highest = max(highest, count)
            try session.send(.group(.nack(member: 1, offsets: [header.firstOffset])), id: 2)
        }
        #expect(highest == .max)
        #expect(daemon.isRunning)
        #expect(await daemon.stop() == 0)
    }
}
