import ImmutaLocks
import ImmutaProtocol
import ImmutaStorage
import Logging
import Synchronization

extension ConsumerGroup {
    /// A manual (Kafka-style) commit. Only forward, and only while no member uses managed delivery.
    func commit(_ offset: UInt64) throws {
        try state.withLock { state throws in
            guard state.members.isEmpty else {
                throw ProtocolError(
                    .groupBusy, "group \(name) has \(state.members.count) managed members; manual commits are refused while they are joined")
            }
            guard offset >= state.committed else {
                throw ProtocolError(
                    .commitBackwards,
                    "commit \(offset) is below group \(name)'s committed offset \(state.committed); commits only move forward (use `immutactl group reset` to move back)")
            }
            let next = topic.log.nextOffset
            guard offset <= next else {
                throw ProtocolError(.offsetOutOfRange, "commit \(offset) is beyond the end of topic \(topic.name) (next offset \(next))")
            }
            try offsets.commit(offset)
            Self.moveTo(offset, keepingAbove: true, in: &state)
        }
    }

    /// Where a reset would move the committed offset.
    func resetTarget(_ target: WireResetTarget) throws -> UInt64 {
        let bounds = topic.log.bounds
        let committed = committedOffset
        switch target {
        case .earliest: return bounds.earliestOffset
        case .latest: return bounds.nextOffset
        case .offset(let offset):
            guard offset >= bounds.earliestOffset && offset <= bounds.nextOffset else {
                throw ProtocolError(
                    .offsetOutOfRange,
                    "offset \(offset) is outside topic \(topic.name)'s retained range \(bounds.earliestOffset)...\(bounds.nextOffset)")
            }
            return offset
        case .timestamp(let time): return try topic.log.offset(atOrAfter: time)
        case .shift(let by):
            // Fix: `UInt64(-by)` trapped (and took the daemon down) for a shift of Int64.min, and the
            // addition could overflow; magnitude and a saturating add clamp instead.
            let forward = committed.addingReportingOverflow(UInt64(max(by, 0)))
            let moved = by < 0 ? committed - min(committed, by.magnitude) : forward.overflow ? UInt64.max : forward.partialValue
            return min(max(moved, bounds.earliestOffset), bounds.nextOffset)
        }
    }

    /// Moves the committed offset anywhere (an admin reset). Members' in-flight records are
    /// forgotten; with members joined it is refused unless forced.
    func reset(to offset: UInt64, force: Bool) throws {
        let count = try state.withLock { state throws -> Int in
            guard state.members.isEmpty || force else {
                throw ProtocolError(
                    .groupBusy,
                    "group \(name) has \(state.members.count) active members; stop them first or pass --force")
            }
            try offsets.commit(offset)
            Self.moveTo(offset, keepingAbove: false, in: &state)
            for key in state.members.keys { state.members[key]?.holding = 0 }
            return state.members.count
        }
        logger.notice("group reset", metadata: ["offset": "\(offset)", "forced_members": "\(count)"])
        schedulePump()
    }

    /// Repositions the group: everything below `offset` counts as done; with `keepingAbove`,
    /// tracking of later offsets is kept.
    static func moveTo(_ offset: UInt64, keepingAbove: Bool, in state: inout State) {
        state.committed = offset
        if keepingAbove {
            state.cursor = max(state.cursor, offset)
            state.ackedAbove = state.ackedAbove.filter { $0 >= offset }
            state.redeliver.removeAll { $0 < offset }
            state.deliveryCounts = state.deliveryCounts.filter { $0.key >= offset }
            state.returnedBy = state.returnedBy.filter { $0.key >= offset }
            while state.ackedAbove.remove(state.committed) != nil { state.committed += 1 }
        } else {
            state.cursor = offset
            state.ackedAbove = []
            state.redeliver = []
            state.deliveryCounts = [:]
            state.returnedBy = [:]
            state.inFlight = [:]
        }
    }

    /// The group's state for GROUP_INFO.
    func info() -> WireGroupInfo {
        let next = topic.log.nextOffset
        return state.withLock { state in
            WireGroupInfo(
                topic: topic.name, group: name, committedOffset: state.committed, nextOffset: next,
                inFlight: UInt32(state.inFlight.count), redelivered: state.redelivered, deadLettered: state.deadLettered,
                settings: settings.wire,
                members: state.order.compactMap { key in
                    state.members[key].map {
                        WireGroupMember(clientName: $0.clientName, pid: $0.pid, inFlight: UInt32($0.holding), lastSeen: $0.lastSeenMilliseconds)
                    }
                })
        }
    }

    /// Stops the group for deletion, ending its members' memberships with `topic_not_found`.
    ///
    /// Fix: the members used to stay joined to a group that no longer existed, silent forever
    /// (`immutactl consume --group G --follow` went on running after its topic was deleted, where
    /// a plain follower ends with an error).
    func markDeleted() {
        let members = state.withLock { state -> [(MemberKey, any GroupMemberEndpoint)] in
            state.deleted = true
            if let token = state.waitToken { topic.log.cancelWait(token) }
            state.waitToken = nil
            defer {
                state.members.removeAll()
                state.order.removeAll()
            }
            return state.members.map { ($0.key, $0.value.endpoint) }
        }
        try? offsets.close()
        let gone = ProtocolError(.topicNotFound, "topic \(topic.name) was deleted, and with it group \(name)")
        for (key, endpoint) in members { endpoint.end(joinID: key.joinID, error: gone) }
    }
}
