import ImmutaLocks
import ImmutaProtocol
import ImmutaStorage
import Logging
import Synchronization

extension ConsumerGroup {
    /// Records one member receives per turn, so that members share a burst of new records.
    static let turnRecords = 256

    /// Runs ``pump()`` on the group's queue.
    func schedulePump() {
        pumpQueue.async { self.pump() }
    }

    /// Hands out what can be handed out: redeliveries first (in offset order), then new records,
    /// member by member in turn, each up to its in-flight limit. When members still have room and
    /// nothing is left, waits for the topic's next commit (woken by the writer, never polling).
    func pump() {
        state.withLock { state in
            guard !state.deleted, !state.members.isEmpty else { return }
            let settings = self.settings
            // Fix: loops when records arrived between reading the bounds and registering the
            // wait. `whenRecords` then returns nil (no wake-up will come), and the group used to
            // stall until the next ack or join, forever if every member was idle.
            while true {
                let bounds = topic.log.bounds
                if state.cursor < bounds.earliestOffset {
                    logger.warning(
                        "retention deleted records the group had not consumed",
                        metadata: ["from": "\(state.cursor)", "to": "\(bounds.earliestOffset)"])
                    // Everything below the earliest offset is gone: nothing there can be delivered
                    // or acked any more, so the group moves past it in one step.
                    Self.moveTo(bounds.earliestOffset, keepingAbove: true, in: &state)
                }
                var progress = true
                var lastServed: Int?
                while progress {
                    progress = false
                    for _ in 0..<state.order.count {
                        let index = state.nextMember % state.order.count
                        state.nextMember = (index + 1) % state.order.count
                        if deliverTurn(to: state.order[index], in: &state, settings: settings, logEnd: bounds.nextOffset) {
                            progress = true
                            lastServed = index
                        }
                    }
                }
                // Fix: each pass above gives every member one turn, so `nextMember` came back to
                // where it started and the first member had first pick at every pump (taking
                // every small burst, and every expired record back). The next pump starts after
                // the member served last.
                if let lastServed { state.nextMember = (lastServed + 1) % state.order.count }
                announceIdle(in: &state, logEnd: bounds.nextOffset)
                let wantsMore = state.members.values.contains { $0.holding < $0.limit(settings) }
                guard wantsMore && state.waitToken == nil && state.redeliver.isEmpty else { return }
                state.waitToken = topic.log.whenRecords(beyond: state.cursor) { [weak self] in
                    guard let self else { return }
                    self.state.withLock { $0.waitToken = nil }
                    self.schedulePump()
                }
                guard state.waitToken == nil, topic.log.nextOffset > bounds.nextOffset else { return }
            }
        }
    }

    /// One member's turn: returns whether anything was delivered.
    private func deliverTurn(to key: MemberKey, in state: inout State, settings: GroupSettings, logEnd: UInt64) -> Bool {
        guard let member = state.members[key], member.endpoint.isWritable else { return false }
        var room = min(member.limit(settings) - member.holding, Self.turnRecords)
        guard room > 0 else { return false }
        var given = 0
        let deadline = monotonicNanoseconds().addingSaturating(Int64(settings.ackTimeoutMilliseconds) * 1_000_000)
        // Redeliveries, oldest first.
        // Fix: a record a member nacked or let time out goes to another member when one has room
        // (it used to go straight back to the member that failed it, whenever that member's turn
        // came first, until it was dead-lettered). Its last holder gets it back only when alone.
        let othersHaveRoom = state.members.contains { $0.key != key && $0.value.holding < $0.value.limit(settings) }
        var index = 0
        while room > 0, index < state.redeliver.count {
            let offset = state.redeliver[index]
            if othersHaveRoom && state.returnedBy[offset] == key {
                index += 1
                continue
            }
            state.redeliver.remove(at: index)
            state.returnedBy[offset] = nil
            let count = state.deliveryCounts[offset] ?? 1
            if count >= settings.maxDeliveries, deadLetter(offset, deliveries: count, settings: settings, in: &state) {
                continue
            }
            guard let slice = try? topic.log.slice(from: offset, maxRecords: 1, maxBytes: 1) else {
                // The record is gone (retention): nothing left to deliver.
                Self.markAcked(offset, in: &state)
                continue
            }
            // Saturating: a record whose dead-letter topic keeps refusing it is delivered again
            // for as long as that lasts, and its count must not trap at 65,535.
            let attempt = count.addingSaturating(1)
            state.inFlight[offset] = Delivery(member: key, deadline: deadline, count: attempt)
            state.deliveryCounts[offset] = nil
            state.redelivered += 1
            member.endpoint.deliver(joinID: key.joinID, deliveryCount: attempt, slice: slice, logEnd: logEnd)
            room -= 1
            given += 1
        }
        // New records.
        if room > 0, state.cursor < logEnd,
            let slice = try? topic.log.slice(from: state.cursor, maxRecords: room, maxBytes: 1 << 20)
        {
            for offset in slice.firstOffset..<slice.nextOffset {
                state.inFlight[offset] = Delivery(member: key, deadline: deadline, count: 1)
            }
            state.cursor = slice.nextOffset
            room -= slice.count
            given += slice.count
            member.endpoint.deliver(joinID: key.joinID, deliveryCount: 1, slice: slice, logEnd: logEnd)
        }
        guard given > 0 else { return false }
        state.members[key]?.holding += given
        state.members[key]?.idleAnnounced = false
        return true
    }

    /// Tells members that hold nothing that there is nothing more for them right now, once per
    /// idle spell, so `immutactl consume --group` without `--follow` knows when to stop.
    private func announceIdle(in state: inout State, logEnd: UInt64) {
        guard state.cursor >= logEnd, state.redeliver.isEmpty else { return }
        for key in state.order {
            guard let member = state.members[key], member.holding == 0, !member.idleAnnounced else { continue }
            state.members[key]?.idleAnnounced = true
            member.endpoint.deliver(joinID: key.joinID, deliveryCount: 0, slice: nil, logEnd: logEnd)
        }
    }
}
