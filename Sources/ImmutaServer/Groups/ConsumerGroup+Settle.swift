import ImmutaLocks
import ImmutaProtocol
import ImmutaStorage
import Logging
import Synchronization

extension ConsumerGroup {
    /// A member's ``State/settledAway`` set is forgotten past this size (its late acks of the
    /// oldest would then get `not_held`), so a member that never acks cannot grow it without end.
    static let maxSettledAwayPerMember = 100_000

    /// GROUP_SETTLE: acks (skips) or nacks (takes back) pending records whichever member holds
    /// them, for an operator unsticking a group: a poison record that keeps failing, a record
    /// held by a member that hangs. All or nothing, like a member's own ack.
    ///
    /// - Returns: how many of the records a member held.
    @discardableResult
    func settle(_ action: WireSettleAction, offsets list: [UInt64]) throws -> Int {
        let taken = try state.withLock { state throws -> Int in
            guard !list.isEmpty else { throw ProtocolError(.invalidRequest, "name at least one offset to settle") }
            // The request's own shape first: an offset named twice is refused as such, whether
            // or not it is pending.
            var seen = Set<UInt64>()
            if let twice = list.first(where: { !seen.insert($0).inserted }) {
                throw ProtocolError(.invalidRequest, "offset \(twice) appears twice")
            }
            let waiting = Set(state.redeliver)
            for offset in list {
                guard state.inFlight[offset] != nil || waiting.contains(offset) else {
                    throw ProtocolError(
                        .notHeld,
                        "offset \(offset) is not pending in group \(name): it is acknowledged already, or was never delivered (see immutactl group pending)")
                }
            }
            if action == .ack {
                let target = Self.committedAfterAcking(list, in: state)
                if target != state.committed { try offsets.commit(target) }
            }
            var taken = 0
            for offset in list {
                if let delivery = state.inFlight.removeValue(forKey: offset) {
                    taken += 1
                    state.members[delivery.member]?.holding -= 1
                    Self.rememberSettledAway(offset, from: delivery.member, in: &state)
                    if action == .nack {
                        Self.queueRedelivery(offset, count: delivery.count, returnedBy: delivery.member, in: &state)
                    }
                } else if action == .ack {
                    state.redeliver.removeAll { $0 == offset }
                }
                if action == .ack { Self.markAcked(offset, in: &state) }
            }
            return taken
        }
        logger.notice(
            "records settled by request", metadata: ["action": "\(action)", "records": "\(list.count)", "taken_from_members": "\(taken)"])
        pump()
        return taken
    }

    private static func rememberSettledAway(_ offset: UInt64, from member: MemberKey, in state: inout State) {
        guard state.members[member] != nil else { return }
        if state.settledAway[member, default: []].count >= maxSettledAwayPerMember { state.settledAway[member] = [] }
        state.settledAway[member, default: []].insert(offset)
    }

    /// Splits a member's ack or nack into the offsets it still holds and those GROUP_SETTLE took
    /// from it, which are answered OK and change nothing.
    static func splitSettledAway(_ list: [UInt64], of member: MemberKey, in state: State) -> (held: [UInt64], settled: [UInt64]) {
        guard let settled = state.settledAway[member], !settled.isEmpty else { return (list, []) }
        var taken = Set<UInt64>()
        var held: [UInt64] = []
        for offset in list {
            if settled.contains(offset) && taken.insert(offset).inserted { continue }
            held.append(offset)
        }
        return (held, Array(taken))
    }

    /// Once the ack or nack succeeded: those offsets are accounted for.
    static func forgetSettledAway(_ offsets: [UInt64], of member: MemberKey, in state: inout State) {
        guard !offsets.isEmpty, var settled = state.settledAway[member] else { return }
        for offset in offsets { settled.remove(offset) }
        state.settledAway[member] = settled.isEmpty ? nil : settled
    }
}
