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

/// Batches a member's acks and nacks on the connection it joined on, and remembers the first
/// error the daemon answered. Once the member has joined again on a new connection, this buffer
/// is retired and drops what it is given: the records it would acknowledge were given back to
/// the group with the lost connection (or, after a restart, were never committed), so the daemon
/// delivers them again, and an ack on the new connection would name a record the new member
/// does not hold (`not_held`).
final class AckBuffer: Sendable {
    let client: ImmutaClient
    let connection: ClientConnection
    let memberID: UInt32
    private let state = Locked<(acks: [UInt64], nacks: [UInt64], error: ImmutaError?, retired: Bool)>(([], [], nil, false))
    static let batchSize = 512

    init(client: ImmutaClient, connection: ClientConnection, memberID: UInt32) {
        self.client = client
        self.connection = connection
        self.memberID = memberID
    }

    func add(_ offset: UInt64, ack: Bool) {
        let full = state.withLock { state -> Bool in
            guard !state.retired else { return false }
            if ack { state.acks.append(offset) } else { state.nacks.append(offset) }
            return state.acks.count >= Self.batchSize || !state.nacks.isEmpty
        }
        if full { send() }
    }

    /// Drops what is buffered and whatever comes later, and forgets the errors.
    func retire() {
        state.withLock { $0 = ([], [], nil, true) }
    }

    /// Takes what is buffered.
    private func take() -> (acks: [UInt64], nacks: [UInt64]) {
        state.withLock { state in
            defer { state.acks.removeAll(keepingCapacity: true); state.nacks.removeAll() }
            return (state.acks, state.nacks)
        }
    }

    /// Sends what is buffered without waiting; errors are kept for ``check()``.
    func send() {
        let (acks, nacks) = take()
        for (offsets, isAck) in [(acks, true), (nacks, false)] where !offsets.isEmpty {
            let request: Request = .group(isAck ? .ack(member: memberID, offsets: offsets) : .nack(member: memberID, offsets: offsets))
            connection.sendTracked(request, id: client.makeRequestID()) { [self] error in
                state.withLock { if $0.error == nil && !$0.retired { $0.error = error } }
            }
        }
    }

    /// Sends what is buffered and waits for the daemon's answer.
    func flush() async throws {
        let (acks, nacks) = take()
        if !acks.isEmpty {
            _ = try await connection.send(.group(.ack(member: memberID, offsets: acks)), id: client.makeRequestID())
        }
        if !nacks.isEmpty {
            _ = try await connection.send(.group(.nack(member: memberID, offsets: nacks)), id: client.makeRequestID())
        }
        try check()
    }

    func check() throws {
        if let error = state.withLock({ $0.error }) { throw error }
    }
}

/// A group member's records as an `AsyncSequence` of ``GroupMessage``s, in offset order per
/// delivery. The daemon sends at most the group's `max_in_flight` unacknowledged records, so acks
/// are this member's flow control.
///
/// When the connection is lost or immutad shuts down, the iterator joins the group again on a
/// new connection (as the client's ``ReconnectPolicy`` allows). What this member held
/// unacknowledged is delivered again, to it or to another member, and acks of messages received
/// before the loss are dropped: delivery stays at least once.
public struct GroupConsumer: AsyncSequence, Sendable {
    public typealias Element = GroupMessage

    /// The group's committed offset when this member first joined.
    public let committedOffset: UInt64
    let client: ImmutaClient
    let membership: GroupMembership
    let firstBatches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>
    let stopWhenIdle: Bool

    /// The member id (the GROUP_JOIN request id; a new one after joining again on a new connection).
    public var memberID: UInt32 { membership.leg.memberID }

    /// Sends buffered acks and nacks and waits until the daemon has applied them.
    public func flushAcks() async throws { try await membership.leg.acks.flush() }

    /// Leaves the group: what this member holds unacknowledged goes to other members. Over a lost
    /// connection there is nothing to leave: the daemon ended the membership with it.
    public func leave() async throws {
        let leg = membership.leave()
        do {
            try await leg.acks.flush()
            await leg.connection.removeSink(leg.memberID)
            _ = try await leg.connection.send(.group(.leave(member: leg.memberID)), id: client.makeRequestID())
        } catch let error as ImmutaError where error.needsReconnect {
            await leg.connection.removeSink(leg.memberID)
        }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(
            client: client, membership: membership, leg: membership.leg, batches: firstBatches.makeAsyncIterator(),
            stopWhenIdle: stopWhenIdle)
    }

    /// Yields messages from the daemon's pushes, sending buffered acks whenever it has to wait.
    public struct Iterator: AsyncIteratorProtocol {
        let client: ImmutaClient
        let membership: GroupMembership
        var leg: GroupMembership.Leg
        var batches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.Iterator
        let stopWhenIdle: Bool
        var current: [ImmutaRecord] = []
        var count = 1
        var index = 0

        init(
            client: ImmutaClient, membership: GroupMembership, leg: GroupMembership.Leg,
            batches: AsyncThrowingStream<SubscriptionSink.RecordBatch, any Error>.Iterator, stopWhenIdle: Bool
        ) {
            self.client = client
            self.membership = membership
            self.leg = leg
            self.batches = batches
            self.stopWhenIdle = stopWhenIdle
        }

        /// Messages of the current delivery that ``next()`` returns without waiting. At 0, the
        /// next call sends the buffered acks and may wait for the daemon, so a caller that acks
        /// only after work of its own (such as flushing its output) should finish it first, or
        /// the member can stall holding `max_in_flight` records it has not acked.
        public var bufferedCount: Int { current.count - index }

        public mutating func next() async throws -> GroupMessage? {
            while true {
                do {
                    return try await nextOnThisConnection()
                } catch let error as ImmutaError
                    where error.needsReconnect && client.reconnectPolicy.isEnabled && !membership.hasLeft
                {
                    do {
                        try await rejoin(after: error)
                    } catch is CancellationError {
                        return nil  // as a cancelled stream ends
                    }
                }
            }
        }

        private mutating func nextOnThisConnection() async throws -> GroupMessage? {
            let acks = leg.acks
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

        /// Joins again on a new connection, through as many losses as happen within the policy's
        /// timeout. The messages not yet returned are dropped: the daemon delivers them again.
        private mutating func rejoin(after error: ImmutaError) async throws {
            let policy = client.reconnectPolicy
            let lostAt = ContinuousClock.now
            policy.onEvent?(.lost(reason: error.message))
            leg.acks.retire()
            (current, index) = ([], 0)
            var lost = leg.connection
            while true {
                let connection = try await client.reconnect(after: lost)
                do {
                    guard let (leg, batches, committed) = try await membership.rejoin(on: connection, client: client)
                    else { return }  // left meanwhile: the old stream, ended, ends the iteration
                    self.leg = leg
                    self.batches = batches.makeAsyncIterator()
                    policy.onEvent?(.resumed(after: .now - lostAt, offset: committed))
                    return
                } catch let failure as ImmutaError where failure.needsReconnect && .now - lostAt < policy.timeout {
                    lost = connection
                }
            }
        }
    }
}
