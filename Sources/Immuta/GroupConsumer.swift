import ImmutaLocks
import ImmutaProtocol
import NIOCore
import Synchronization

/// A record delivered to a group member, to acknowledge once processed.
public struct GroupMessage: Sendable {
    /// The record.
    public let record: ImmutaRecord
    /// How many times it has been delivered (1 the first time).
    public let deliveryCount: Int
    let acks: AckBuffer

    /// Marks the record processed. Acks are sent in batches; call
    /// ``GroupConsumer/flushAcks()`` to wait until they reached the daemon.
    public func ack() { acks.add(record.offset, ack: true) }

    /// Gives the record back for immediate redelivery (to any member).
    public func nack() { acks.add(record.offset, ack: false) }
}

/// Batches a member's acks and nacks, and remembers the first error the daemon answered.
final class AckBuffer: Sendable {
    let client: ImmutaClient
    let memberID: UInt32
    private let state = Locked<(acks: [UInt64], nacks: [UInt64], error: ImmutaError?)>(([], [], nil))
    static let batchSize = 512

    init(client: ImmutaClient, memberID: UInt32) {
        self.client = client
        self.memberID = memberID
    }

    func add(_ offset: UInt64, ack: Bool) {
        let full = state.withLock { state -> Bool in
            if ack { state.acks.append(offset) } else { state.nacks.append(offset) }
            return state.acks.count >= Self.batchSize || !state.nacks.isEmpty
        }
        if full { send() }
    }

    /// Sends what is buffered without waiting; errors are kept for ``check()``.
    func send() {
        let (acks, nacks) = state.withLock { state in
            defer { state.acks.removeAll(keepingCapacity: true); state.nacks.removeAll() }
            return (state.acks, state.nacks)
        }
        for (offsets, isAck) in [(acks, true), (nacks, false)] where !offsets.isEmpty {
            let request: Request = .group(isAck ? .ack(member: memberID, offsets: offsets) : .nack(member: memberID, offsets: offsets))
            client.sendTracked(request) { [self] error in
                state.withLock { if $0.error == nil { $0.error = error } }
            }
        }
    }

    /// Sends what is buffered and waits for the daemon's answer.
    func flush() async throws {
        let (acks, nacks) = state.withLock { state in
            defer { state.acks.removeAll(keepingCapacity: true); state.nacks.removeAll() }
            return (state.acks, state.nacks)
        }
        if !acks.isEmpty { _ = try await client.send(.group(.ack(member: memberID, offsets: acks))) }
        if !nacks.isEmpty { _ = try await client.send(.group(.nack(member: memberID, offsets: nacks))) }
        try check()
    }

    func check() throws {
        if let error = state.withLock({ $0.error }) { throw error }
    }
}

/// A group member's records as an `AsyncSequence` of ``GroupMessage``s, in offset order per
/// delivery. The daemon sends at most the group's `max_in_flight` unacknowledged records, so acks
/// are this member's flow control.
public struct GroupConsumer: AsyncSequence, Sendable {
    public typealias Element = GroupMessage

    /// The member id (the GROUP_JOIN request id).
    public let memberID: UInt32
    /// The group's committed offset when this member joined.
    public let committedOffset: UInt64
    let client: ImmutaClient
    let stream: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>
    let acks: AckBuffer
    let stopWhenIdle: Bool

    init(
        client: ImmutaClient, memberID: UInt32, committedOffset: UInt64,
        stream: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>, stopWhenIdle: Bool
    ) {
        self.client = client
        self.memberID = memberID
        self.committedOffset = committedOffset
        self.stream = stream
        self.stopWhenIdle = stopWhenIdle
        acks = AckBuffer(client: client, memberID: memberID)
    }

    /// Sends buffered acks and nacks and waits until the daemon has applied them.
    public func flushAcks() async throws { try await acks.flush() }

    /// Leaves the group: what this member holds unacknowledged goes to other members.
    public func leave() async throws {
        try await acks.flush()
        let handler = client.handler
        let id = memberID
        try? await client.channel.eventLoop.submit { handler.value.removeSink(id) }.get()
        _ = try await client.send(.group(.leave(member: memberID)))
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(batches: stream.makeAsyncIterator(), acks: acks, stopWhenIdle: stopWhenIdle)
    }

    /// Yields messages from the daemon's pushes, sending buffered acks whenever it has to wait.
    public struct Iterator: AsyncIteratorProtocol {
        var batches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.Iterator
        let acks: AckBuffer
        let stopWhenIdle: Bool
        var current: [ImmutaRecord] = []
        var count = 1
        var index = 0

        /// Messages of the current delivery that ``next()`` returns without waiting. At 0, the
        /// next call sends the buffered acks and may wait for the daemon, so a caller that acks
        /// only after work of its own (such as flushing its output) should finish it first, or
        /// the member can stall holding `max_in_flight` records it has not acked.
        public var bufferedCount: Int { current.count - index }

        public mutating func next() async throws -> GroupMessage? {
            try acks.check()
            if index < current.count {
                defer { index += 1 }
                return GroupMessage(record: current[index], deliveryCount: count, acks: acks)
            }
            acks.send()
            while let batch = try await batches.next() {
                try acks.check()
                if batch.deliveryCount == 0 {
                    if stopWhenIdle { return nil }
                    continue
                }
                guard !batch.records.isEmpty else { continue }
                current = batch.records
                count = Int(batch.deliveryCount)
                index = 1
                return GroupMessage(record: current[0], deliveryCount: count, acks: acks)
            }
            return nil
        }
    }
}
