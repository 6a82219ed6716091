import Foundation
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import Testing

/// Every numeric field of every request, with 0, 1, max − 1, max (and −1 and min where signed):
/// immutad answers each with an error or a sane value, and stays up for everyone else.
@Suite(.timeLimit(.minutes(15))) struct NumericFieldWalkTests {
    static let u32: [UInt32] = [0, 1, .max - 1, .max]
    static let u64: [UInt64] = [0, 1, .max - 1, .max]
    static let i64: [Int64] = [0, 1, -1, .min, .min + 1, .max - 1, .max]
    static let starts: [WireStart] =
        [.earliest, .latest] + u64.map { .offset($0) } + i64.map { .timestamp($0) }

    /// Every request built from the edge values (waiting FETCHes excepted: their answer comes
    /// when records arrive, checked below).
    static func requests() -> [Request] {
        var all: [Request] = []
        for value in u64 {
            let i = all.count
            all.append(.createTopic(name: "s\(i)", config: WireTopicConfig(segmentBytes: value)))
            all.append(.createTopic(name: "m\(i)", config: WireTopicConfig(maxRecordBytes: value)))
            all.append(.createTopic(name: "b\(i)", config: WireTopicConfig(retentionBytes: value)))
            all.append(.credit(subscription: 1, records: 1, bytes: value))
            all.append(.subscribe(topic: "t", start: .latest, creditRecords: 1, creditBytes: value))
            all.append(.group(.commit(topic: "t", group: "manual", offset: value)))
            all.append(.group(.ack(member: 2, offsets: [value])))
            all.append(.group(.nack(member: 2, offsets: [value])))
            all.append(.group(.reset(topic: "t", group: "manual", target: .offset(value), execute: true, force: true)))
        }
        for value in i64 {
            let i = all.count
            all.append(.createTopic(name: "r\(i)", config: WireTopicConfig(retentionMilliseconds: value)))
            all.append(.group(.reset(topic: "t", group: "manual", target: .shift(value), execute: true, force: true)))
            all.append(.group(.reset(topic: "t", group: "manual", target: .timestamp(value), execute: false, force: false)))
        }
        for value in u32 {
            all.append(.produce(topic: "t", ack: .write, count: value, records: ValueRangeTests.records([[1]])))
            all.append(.fetch(topic: "t", start: .earliest, maxRecords: value, maxBytes: 1 << 20, waitMilliseconds: 0))
            all.append(.fetch(topic: "t", start: .earliest, maxRecords: 10, maxBytes: value, waitMilliseconds: 0))
            all.append(.credit(subscription: value, records: value, bytes: 1))
            all.append(.unsubscribe(subscription: value == 1 ? 0 : value))
            all.append(.subscribe(topic: "t", start: .latest, creditRecords: value, creditBytes: 1 << 20))
            all.append(.group(.leave(member: value == 2 ? 0 : value)))
        }
        for start in starts {
            all.append(.fetch(topic: "t", start: start, maxRecords: 10, maxBytes: 1 << 20, waitMilliseconds: 0))
            all.append(.subscribe(topic: "t", start: start, creditRecords: 10, creditBytes: 1 << 20))
            all.append(.group(.offset(topic: "t", group: "walk-\(all.count)", start: start)))
            all.append(.group(.join(topic: "t", group: "join-\(all.count)", start: start, settings: WireGroupSettings())))
        }
        return all
    }

    @Test func everyNumericFieldAtItsEdgesIsAnsweredAndTheDaemonStaysUp() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let setup = try await RawSession.connect(socket: daemon.socketPath)
        #expect(try await setup.errorCode(of: .createTopic(name: "t", config: WireTopicConfig(durability: "none"))) == nil)
        #expect(try await setup.errorCode(of: .produce(topic: "t", ack: .write, count: 3, records: ValueRangeTests.records([[1], [2], [3]]))) == nil)
        #expect(try await setup.errorCode(of: .group(.offset(topic: "t", group: "manual", start: .earliest))) == nil)
        // Subscription 1 and membership 2 exist for CREDIT, ACK and NACK to refer to.
        let session = try await RawSession.connect(socket: daemon.socketPath)
        try session.send(.subscribe(topic: "t", start: .earliest, creditRecords: 0, creditBytes: 0), id: 1)
        _ = try await session.frame(answering: 1)
        try session.send(.group(.join(topic: "t", group: "members", start: .earliest, settings: WireGroupSettings())), id: 2)
        _ = try await session.frame(answering: 2)
        var id: UInt32 = 100
        var answered = 0
        for request in Self.requests() {
            id += 1
            try session.send(request, id: id)
            // CREDIT answers only when it fails; a PING after it shows it was carried out.
            if case .credit = request {
                try session.send(.ping, id: id + 1_000_000)
                do { _ = try await session.frame(answering: id + 1_000_000, timeout: .seconds(10)) } catch {
                    Issue.record("no answer after \(request)")
                    throw error
                }
            } else {
                do { _ = try await session.frame(answering: id, timeout: .seconds(10)) } catch {
                    Issue.record("no answer to \(request)")
                    throw error
                }
            }
            answered += 1
        }
        // Waiting FETCHes with the edge waits: answered when a record arrives (0 at once). They
        // wait at the log's end as it is now, whenever the daemon gets to them.
        try setup.send(.describeTopic(name: "t"), id: 2)
        guard case .topicInfo(let info) = try await setup.response() else { throw DaemonTestError("no TOPIC_INFO") }
        for (i, wait) in Self.u32.enumerated() {
            try session.send(
                .fetch(topic: "t", start: .offset(info.nextOffset), maxRecords: 1, maxBytes: 100, waitMilliseconds: wait),
                id: 90 + UInt32(i))
        }
        #expect(try await setup.errorCode(of: .produce(topic: "t", ack: .write, count: 1, records: ValueRangeTests.records([[4]]))) == nil)
        // Their answers come in any order, between pushes for the walk's subscriptions.
        var waiting = Set((0..<Self.u32.count).map { 90 + UInt32($0) })
        let deadline = Deadline("for every waiting FETCH to be answered")
        while !waiting.isEmpty {
            try deadline.check("FETCHes \(waiting.sorted()) unanswered")
            do { waiting.remove(try await session.frame().requestID) } catch {
                Issue.record("FETCHes \(waiting.sorted()) were not answered")
                throw error
            }
        }
        #expect(answered == Self.requests().count)
        try setup.send(.ping, id: 1)
        #expect(try await setup.response() == .pong)
        #expect(daemon.isRunning)
        #expect(await daemon.stop() == 0)
    }
}
