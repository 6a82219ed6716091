import ImmutaLocks
import ImmutaProtocol
import NIOPosix
import ImmutaStorage
import Logging
import Synchronization

/// Identifies a group member: its connection and the id of its GROUP_JOIN request.
struct MemberKey: Hashable, Sendable {
    var connection: UInt64
    var joinID: UInt32
}

/// Where a group sends a member's records (its connection).
protocol GroupMemberEndpoint: Sendable {
    /// Sends records (or, with a nil slice, the "nothing more for you now" marker) to the member.
    /// Called with the group's lock held, so deliveries to one member keep their order.
    func deliver(joinID: UInt32, deliveryCount: UInt16, slice: LogSlice?, logEnd: UInt64)
    /// Whether the member's socket takes more now; a member whose socket is full gets nothing
    /// until it drains (its connection then asks the group to pump again).
    var isWritable: Bool { get }
    /// Ends the membership from the server's side with `error` (its group is gone).
    func end(joinID: UInt32, error: ProtocolError)
}

/// A consumer group with managed delivery: hands each record to one member, tracks what every
/// member holds, redelivers on nack, disconnect or ack timeout, dead-letters records delivered
/// too often, and persists the low-water mark of contiguous acks as the committed offset.
///
/// Invariant: every offset in `committed..<cursor` is in exactly one of `inFlight`,
/// `redeliver` or `ackedAbove`.
final class ConsumerGroup: Sendable {
    struct Member {
        var endpoint: any GroupMemberEndpoint
        var clientName: String
        var pid: Int32
        var holding: Int = 0
        var lastSeenMilliseconds: Int64
        var idleAnnounced = false
        /// The member's own in-flight limit, below the group's (GROUP_JOIN's member_max_in_flight).
        var ownLimit: Int?

        /// How many records it may hold under `settings`.
        func limit(_ settings: GroupSettings) -> Int { min(Int(settings.maxInFlight), ownLimit ?? .max) }
    }

    struct Delivery {
        var member: MemberKey
        var deadline: Int64
        var count: UInt16
        /// When it was handed to the member (monotonic nanoseconds), for GROUP_PENDING.
        var deliveredAt: Int64 = monotonicNanoseconds()
    }

    struct State {
        var committed: UInt64
        var cursor: UInt64
        var inFlight: [UInt64: Delivery] = [:]
        var ackedAbove: Set<UInt64> = []
        /// Offsets waiting for redelivery, ascending, with how often each was delivered.
        var redeliver: [UInt64] = []
        var deliveryCounts: [UInt64: UInt16] = [:]
        /// The member that nacked an offset waiting for redelivery, or let its ack timeout pass.
        var returnedBy: [UInt64: MemberKey] = [:]
        var members: [MemberKey: Member] = [:]
        var order: [MemberKey] = []
        var nextMember = 0
        var waitToken: WaitToken?
        var redelivered: UInt64 = 0
        var deadLettered: UInt64 = 0
        var deleted = false
        /// The committed offset found at startup when it lay past the topic's end and was moved
        /// back to it (see ``clampCommittedToTopicEnd()``).
        var clampedFrom: UInt64?
        /// Records GROUP_SETTLE took out of a member's hands: its own later ack or nack of them is
        /// answered OK and changes nothing (it did not know), rather than `not_held`.
        var settledAway: [MemberKey: Set<UInt64>] = [:]
    }

    let topic: Topic
    let name: String
    /// Changed online by GROUP_CONFIGURE; its own lock, taken after `state`'s when both are held.
    let settingsBox: Locked<GroupSettings>
    var settings: GroupSettings { settingsBox.withLock { $0 } }
    let directory: String
    let offsets: CommitLog
    let store: TopicStore
    let deadLetterTopics: DeadLetterTopicCreation
    let logger: Logger
    let state: Locked<State>
    /// Where deliveries are worked out: never on an event loop, and never inside a topic
    /// writer's lock (the pump may append to a dead-letter topic).
    let pumpQueue: SerialWorker

    init(
        topic: Topic, settings: GroupSettings, directory: String, offsets: CommitLog, store: TopicStore,
        deadLetterTopics: DeadLetterTopicCreation, logger: Logger, pool: NIOThreadPool
    ) {
        pumpQueue = SerialWorker(pool: pool)
        self.topic = topic
        self.name = settings.group
        settingsBox = Locked(settings)
        self.directory = directory
        self.offsets = offsets
        self.store = store
        self.deadLetterTopics = deadLetterTopics
        var logger = logger
        logger[metadataKey: "topic"] = "\(topic.name)"
        logger[metadataKey: "group"] = "\(settings.group)"
        self.logger = logger
        let committed = max(offsets.committed ?? 0, topic.log.bounds.earliestOffset)
        state = Locked(State(committed: committed, cursor: committed))
    }

    var hasMembers: Bool { state.withLock { !$0.members.isEmpty } }
    var committedOffset: UInt64 { state.withLock { $0.committed } }

    // MARK: Members

    func join(_ key: MemberKey, endpoint: any GroupMemberEndpoint, clientName: String, pid: Int32, maxInFlight: UInt32 = 0) -> UInt64 {
        let committed = state.withLock { state -> UInt64 in
            state.members[key] = Member(
                endpoint: endpoint, clientName: clientName, pid: pid, lastSeenMilliseconds: currentTimeNanoseconds() / 1_000_000,
                ownLimit: maxInFlight == 0 ? nil : Int(maxInFlight))
            state.order.append(key)
            return state.committed
        }
        logger.info("member joined", metadata: ["client": "\(clientName)", "client_pid": "\(pid)"])
        schedulePump()
        return committed
    }

    /// Removes a member; whatever it held goes back for redelivery to the others.
    ///
    /// - Parameter clean: the member asked to leave (GROUP_LEAVE). What it hands back then was
    ///   never attempted, so that delivery is not counted towards `max_deliveries`; records held by
    ///   a member whose connection dropped keep their count (it may have crashed on them).
    func leave(_ key: MemberKey, clean: Bool = false) {
        let left = state.withLock { state -> Member? in
            guard let member = state.members.removeValue(forKey: key) else { return nil }
            state.order.removeAll { $0 == key }
            state.settledAway[key] = nil
            let held = state.inFlight.filter { $0.value.member == key }
            for (offset, delivery) in held {
                state.inFlight[offset] = nil
                Self.queueRedelivery(offset, count: clean ? delivery.count - 1 : delivery.count, in: &state)
            }
            return member
        }
        guard let left else { return }
        logger.info("member left", metadata: ["client": "\(left.clientName)", "client_pid": "\(left.pid)", "returned": "\(left.holding)"])
        schedulePump()
    }

    // MARK: Acks

    /// Acknowledges records the member holds. All or nothing: one offset it does not hold, or a
    /// commit the offset log refuses, fails the whole call and changes nothing.
    ///
    /// Fix: the acked records used to leave the member's hands (and the committed offset move in
    /// memory) before the commit was written, so a commit that failed answered an error for acks
    /// the group had already applied: the records were never redelivered, and the committed offset
    /// the group reported was not the one on disk. The commit now comes first.
    func ack(_ key: MemberKey, offsets requested: [UInt64]) throws {
        try state.withLock { state throws in
            let (list, settled) = Self.splitSettledAway(requested, of: key, in: state)
            guard !list.isEmpty || requested.isEmpty else { return Self.forgetSettledAway(settled, of: key, in: &state) }
            try Self.checkHeld(list, by: key, in: state, group: name)
            let target = Self.committedAfterAcking(list, in: state)
            if target != state.committed {
                do {
                    try offsets.commit(target)
                } catch {
                    logger.error(
                        "could not commit an ack; the records stay with the member and return on its ack timeout",
                        metadata: ["offset": "\(target)", "error": "\(error)"])
                    throw error
                }
            }
            for offset in list {
                state.inFlight[offset] = nil
                Self.markAcked(offset, in: &state)
            }
            state.members[key]?.holding -= list.count
            state.members[key]?.lastSeenMilliseconds = currentTimeNanoseconds() / 1_000_000
            Self.forgetSettledAway(settled, of: key, in: &state)
        }
        // Pumped here, on the acking connection's worker, before the ack is answered: the room
        // it made is filled by the time the member sees OK, as clients and tests expect.
        pump()
    }

    /// Gives records back for immediate redelivery.
    func nack(_ key: MemberKey, offsets requested: [UInt64]) throws {
        try state.withLock { state throws in
            let (list, settled) = Self.splitSettledAway(requested, of: key, in: state)
            guard !list.isEmpty || requested.isEmpty else { return Self.forgetSettledAway(settled, of: key, in: &state) }
            try Self.checkHeld(list, by: key, in: state, group: name)
            for offset in list {
                let delivery = state.inFlight.removeValue(forKey: offset)!
                state.members[key]?.holding -= 1
                Self.queueRedelivery(offset, count: delivery.count, returnedBy: key, in: &state)
            }
            state.members[key]?.lastSeenMilliseconds = currentTimeNanoseconds() / 1_000_000
            Self.forgetSettledAway(settled, of: key, in: &state)
        }
        pump()
    }

    private static func checkHeld(_ list: [UInt64], by key: MemberKey, in state: State, group: String) throws {
        guard !list.isEmpty else { throw ProtocolError(.invalidRequest, "an ack or nack must name at least one offset") }
        guard state.members[key] != nil else {
            throw ProtocolError(.unknownMember, "member \(key.joinID) is not joined to group \(group) on this connection")
        }
        // Clients ack in delivery order: an ascending list has no offset twice, and only another
        // needs the set (hashing every offset again cost a visible share of group delivery).
        if !Self.isAscending(list) {
            var seen = Set<UInt64>()
            for offset in list where !seen.insert(offset).inserted {
                throw ProtocolError(.invalidRequest, "offset \(offset) appears twice in one ack")
            }
        }
        for offset in list {
            guard let delivery = state.inFlight[offset] else {
                throw ProtocolError(
                    .notHeld,
                    "offset \(offset) is not held by this member of group \(group): it was never delivered to it, is already acknowledged, or its ack timeout passed and it went to another member")
            }
            guard delivery.member == key else {
                throw ProtocolError(.notHeld, "offset \(offset) is held by another member of group \(group)")
            }
        }
    }

    /// Where ``markAcked(_:in:)`` would move the committed offset for these offsets, without
    /// changing anything.
    static func committedAfterAcking(_ list: [UInt64], in state: State) -> UInt64 {
        var committed = state.committed
        guard isAscending(list) else {
            let acked = Set(list)
            while acked.contains(committed) || state.ackedAbove.contains(committed) { committed += 1 }
            return committed
        }
        // Ascending (the usual case): walk the list and the committed offset together.
        var next = list.firstIndex { $0 >= committed } ?? list.count
        while true {
            if next < list.count && list[next] == committed {
                next += 1
            } else if state.ackedAbove.isEmpty || !state.ackedAbove.contains(committed) {
                return committed
            }
            committed += 1
        }
    }

    static func isAscending(_ list: [UInt64]) -> Bool {
        zip(list, list.dropFirst()).allSatisfy { $0 < $1 }
    }

    /// Counts an offset as done and moves the committed offset over every contiguous done offset.
    static func markAcked(_ offset: UInt64, in state: inout State) {
        // Both are empty unless records were redelivered: skip hashing the offset for nothing.
        if !state.deliveryCounts.isEmpty { state.deliveryCounts[offset] = nil }
        if !state.returnedBy.isEmpty { state.returnedBy[offset] = nil }
        if offset == state.committed {
            state.committed += 1
            while !state.ackedAbove.isEmpty, state.ackedAbove.remove(state.committed) != nil { state.committed += 1 }
        } else if offset > state.committed {
            state.ackedAbove.insert(offset)
        }
    }

    static func queueRedelivery(_ offset: UInt64, count: UInt16, returnedBy member: MemberKey? = nil, in state: inout State) {
        state.deliveryCounts[offset] = count
        state.returnedBy[offset] = member
        var low = 0
        var high = state.redeliver.count
        while low < high {
            let mid = (low + high) / 2
            if state.redeliver[mid] < offset { low = mid + 1 } else { high = mid }
        }
        state.redeliver.insert(offset, at: low)
    }

    // MARK: Timeouts

    /// Takes records back from members that held them past the ack timeout.
    func expireAcks(now: Int64 = monotonicNanoseconds()) {
        let expired = state.withLock { state -> Int in
            let late = state.inFlight.filter { $0.value.deadline <= now }
            for (offset, delivery) in late {
                state.inFlight[offset] = nil
                state.members[delivery.member]?.holding -= 1
                Self.queueRedelivery(offset, count: delivery.count, returnedBy: delivery.member, in: &state)
            }
            return late.count
        }
        if expired > 0 {
            logger.info("ack timeout passed; records go to other members", metadata: ["records": "\(expired)"])
            schedulePump()
        }
    }

    var hasRecordsInFlight: Bool { state.withLock { !$0.inFlight.isEmpty } }
}
