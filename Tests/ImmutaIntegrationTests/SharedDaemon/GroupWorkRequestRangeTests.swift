import ImmutaDaemonTesting
import ImmutaProtocol
import Testing

/// The values of the group requests added for the CLI's group work (GROUP_CONFIGURE,
/// GROUP_PENDING, GROUP_SETTLE, GROUP_JOIN's member_max_in_flight), sent raw as any client could:
/// each out-of-range value is refused with its own code and changes nothing; the edges are taken.
@Suite(.timeLimit(.minutes(3))) struct GroupWorkRequestRangeTests {
    @Test func outOfRangeValuesAreRefusedAndTheEdgesTaken() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let session = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await session.errorCode(of: .createTopic(name: "t", config: WireTopicConfig())) == nil)
        #expect(try await session.errorCode(of: .group(.offset(topic: "t", group: "g", start: .earliest))) == nil)

        let badSettings: [WireGroupSettings] = [
            WireGroupSettings(maxInFlight: 1_000_001), WireGroupSettings(maxInFlight: .max),
            WireGroupSettings(ackTimeoutMilliseconds: 99), WireGroupSettings(ackTimeoutMilliseconds: .max),
            WireGroupSettings(maxDeliveries: 1001), WireGroupSettings(maxDeliveries: .max), WireGroupSettings(deadLetterTopic: "t"),
        ]
        for settings in badSettings {
            let code = try await session.errorCode(of: .group(.configure(topic: "t", group: "g", settings: settings)))
            #expect(code == .invalidRequest, "configure \(settings)")
        }
        #expect(try await session.errorCode(of: .group(.configure(topic: "t", group: "g", settings: WireGroupSettings(deadLetterTopic: "../x")))) == .invalidName)
        // Nothing changed: the defaults stand.
        try session.send(.group(.describe(topic: "t", group: "g")), id: 8)
        guard case .group(.info(let info)) = try await session.response() else { throw DaemonTestError("no GROUP_INFO") }
        #expect(info.settings == WireGroupSettings(maxInFlight: 1000, ackTimeoutMilliseconds: 30_000, maxDeliveries: 5, deadLetterTopic: "t.dlq"))
        for settings in [WireGroupSettings(maxInFlight: 1, ackTimeoutMilliseconds: 100, maxDeliveries: 1), WireGroupSettings(maxInFlight: 1_000_000, ackTimeoutMilliseconds: 86_400_000, maxDeliveries: 1000)] {
            #expect(try await session.errorCode(of: .group(.configure(topic: "t", group: "g", settings: settings))) == nil, "\(settings)")
        }

        for maxCount: UInt32 in [1001, 50_000, .max] {
            #expect(try await session.errorCode(of: .group(.pending(topic: "t", group: "g", from: 0, maxCount: maxCount))) == .invalidRequest, "\(maxCount)")
        }
        for maxCount: UInt32 in [0, 1, 1000] {
            #expect(try await session.errorCode(of: .group(.pending(topic: "t", group: "g", from: .max, maxCount: maxCount))) == nil, "\(maxCount)")
        }

        for action in [WireSettleAction.ack, .nack] {
            for (offsets, code) in [([], ErrorCode.invalidRequest), ([3, 3], .invalidRequest), ([999], .notHeld), ([0, .max], .notHeld)] as [([UInt64], ErrorCode)] {
                let answer = try await session.errorCode(of: .group(.settle(topic: "t", group: "g", action: action, offsets: offsets)))
                #expect(answer == code, "\(action) \(offsets)")
            }
        }
        #expect(try await session.errorCode(of: .group(.settle(topic: "t", group: "absent", action: .ack, offsets: [0]))) == .groupNotFound)

        for limit: UInt32 in [1_000_001, .max] {
            let code = try await session.errorCode(
                of: .group(.join(topic: "t", group: "g", start: .earliest, settings: WireGroupSettings(), memberMaxInFlight: limit)))
            #expect(code == .invalidRequest, "member_max_in_flight \(limit)")
        }
        for limit: UInt32 in [1, 1_000_000] {
            // A joined member gets pushes too: a connection of its own.
            let member = try await RawSession.connect(socket: daemon.socketPath)
            let code = try await member.errorCode(
                of: .group(.join(topic: "t", group: "g", start: .earliest, settings: WireGroupSettings(), memberMaxInFlight: limit)))
            #expect(code == nil, "member_max_in_flight \(limit)")
        }
        #expect(await daemon.stop() == 0)
    }
}
