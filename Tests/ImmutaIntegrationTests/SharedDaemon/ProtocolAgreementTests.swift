import Foundation
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Where a client written from docs/PROTOCOL.md alone must agree with the daemon.
@Suite(.timeLimit(.minutes(15))) struct ProtocolAgreementTests {
    @Test func malformedTopicNamesAreInvalidNameInEveryRequest() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        for name in ["", ".hidden", "a/b", "sp ace", String(repeating: "x", count: 256), "tab\t", "ü"] {
            let requests: [Request] = [
                .describeTopic(name: name), .deleteTopic(name: name),
                .produce(topic: name, ack: .write, count: 1, records: ValueRangeTests.records([[1]])),
                .fetch(topic: name, start: .earliest, maxRecords: 1, maxBytes: 1, waitMilliseconds: 0),
                .subscribe(topic: name, start: .earliest, creditRecords: 1, creditBytes: 1),
                .group(.offset(topic: name, group: "g", start: .earliest)),
                .createTopic(name: name, config: WireTopicConfig()),
            ]
            for (i, request) in requests.enumerated() {
                #expect(try await session.errorCode(of: request, id: UInt32(10 + i)) == .invalidName, "\(request)")
            }
        }
        #expect(await daemon.stop() == 0)
    }

    @Test func groupCommitIsAnsweredWithGroupCommitted() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "t", config: WireTopicConfig(durability: "none"))) == nil)
        #expect(try await session.errorCode(of: .produce(topic: "t", ack: .write, count: 2, records: ValueRangeTests.records([[1], [2]]))) == nil)
        #expect(try await session.errorCode(of: .group(.offset(topic: "t", group: "manual", start: .earliest))) == nil)
        try session.send(.group(.commit(topic: "t", group: "manual", offset: 2)), id: 3)
        #expect(try await session.response() == .group(.committed(2)))
        // Past the end, and backwards, each has its own code.
        #expect(try await session.errorCode(of: .group(.commit(topic: "t", group: "manual", offset: 3))) == .offsetOutOfRange)
        #expect(try await session.errorCode(of: .group(.commit(topic: "t", group: "manual", offset: 1))) == .commitBackwards)
        #expect(await daemon.stop() == 0)
    }

    @Test func subscribeRefusesTheIdOfAnOpenMembership() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "t", config: WireTopicConfig())) == nil)
        try session.send(.group(.join(topic: "t", group: "g", start: .earliest, settings: WireGroupSettings())), id: 5)
        #expect(try await session.response() == .group(.joined(committedOffset: 0)))
        var code: ErrorCode?
        try session.send(.subscribe(topic: "t", start: .earliest, creditRecords: 1, creditBytes: 1), id: 5)
        let deadline = Deadline("for the SUBSCRIBE on a member's connection to be refused")
        while code == nil {
            try deadline.check()
            let frame = try await session.frame()
            if frame.requestID == 5, case .error(let error) = try Response(frame: frame) { code = error.code }
        }
        #expect(code == .invalidRequest)
        // And the reverse.
        try session.send(.subscribe(topic: "t", start: .earliest, creditRecords: 1, creditBytes: 1), id: 6)
        #expect(try await session.response() == .subscribed(startOffset: 0))
        try session.send(.group(.join(topic: "t", group: "h", start: .earliest, settings: WireGroupSettings())), id: 6)
        guard case .error(let reverse) = try await session.response() else {
            Issue.record("GROUP_JOIN reused an open subscription's id")
            return
        }
        #expect(reverse.code == .invalidRequest)
        #expect(await daemon.stop() == 0)
    }

    @Test func halfCloseInsideAFrameGetsMalformedFrameFirst() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        var ping = ByteBuffer()
        Request.ping.encodeFrame(requestID: 9, into: &ping)
        let bytes = Array(ping.readableBytesView)
        for cut in 1..<bytes.count {
            let session = try await RawSession.connect(socket: daemon.socketPath)
            try session.connection.send(Array(bytes[0..<cut]))
            session.connection.shutdownWrite()
            guard case .error(let error) = try await session.response() else {
                Issue.record("no ERROR after a cut at byte \(cut)")
                continue
            }
            #expect(error.code == .malformedFrame, "cut at \(cut)")
            #expect(await session.isClosedByPeer())
        }
        #expect(await daemon.stop() == 0)
    }

    @Test func aFrameLimitTooSmallForTheDefaultRecordSizeIsRefused() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "max_frame_bytes: 64KiB\n", waitUntilReady: false)
        #expect(await daemon.waitForExit() == 78)
        #expect(daemon.output.contains("max_record_bytes") && daemon.output.contains("max_frame_bytes"), "\(daemon.output)")
        // With a matching record size it starts, and an all-default CREATE_TOPIC works.
        let fitting = try await DaemonProcess.start(
            in: dir.path, config: "max_frame_bytes: 64KiB\ntopic_defaults:\n  max_record_bytes: 32KiB\n")
        let session = try await RawSession.connect(socket: fitting.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "t", config: WireTopicConfig())) == nil)
        #expect(await fitting.stop() == 0)
    }
}
