import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

/// Delivers a group's records to one connection. The reply is built on the group's thread (off
/// the event loop) and written on the connection's loop.
struct ConnectionEndpoint: GroupMemberEndpoint {
    let handler: NIOLoopBound<ConnectionHandler>
    let eventLoop: any EventLoop
    let writable: WritableFlag

    var isWritable: Bool { writable.isWritable }

    func deliver(joinID: UInt32, deliveryCount: UInt16, slice: LogSlice?, logEnd: UInt64) {
        let handler = self.handler
        let reply: RecordsReply
        do {
            reply = try RecordsReply.make(
                .groupDelivery, requestID: joinID, slice: slice, firstOffset: logEnd, logEnd: logEnd, deliveryCount: deliveryCount)
        } catch {
            // The record cannot be read now; its ack timeout brings it back.
            return
        }
        eventLoop.execute {
            let connection = handler.value
            guard connection.members[joinID] != nil else { return reply.discard() }
            connection.write(reply, flush: true)
        }
    }

    func end(joinID: UInt32, error: ProtocolError) {
        let handler = self.handler
        eventLoop.execute {
            let connection = handler.value
            guard connection.members.removeValue(forKey: joinID) != nil else { return }
            connection.sendError(error, requestID: joinID, flush: true)
        }
    }
}

extension RequestExecutor {
    func group(_ request: GroupRequest, requestID: UInt32) throws -> LoopAction {
        let groups = broker.groups
        switch request {
        case .join(let topic, let name, let start, let settings, let memberMaxInFlight):
            try checkUnused(requestID)
            try checkDeadLetterTopic(settings.deadLetterTopic, of: topic)
            guard memberMaxInFlight == 0 || GroupSettings.maxInFlightRange.contains(memberMaxInFlight) else {
                throw ProtocolError(.invalidRequest, "member_max_in_flight \(memberMaxInFlight) must be from 1 to 1000000 (0: the group's max_in_flight)")
            }
            let group = try groups.groupCreatingIfNeeded(
                topic, name, start: start.storagePosition, requested: settings, limits: broker.configuration.limits,
                creator: creator)
            return { $0.join(group, requestID: requestID, maxInFlight: memberMaxInFlight) }
        case .configure(let topic, let name, let settings):
            try checkDeadLetterTopic(settings.deadLetterTopic, of: topic)
            let group = try groups.group(topic, name)
            _ = try group.configure(settings)
            let info = group.info()
            return { $0.send(.group(.info(info)), requestID: requestID) }
        case .pending(let topic, let name, let from, let maxCount):
            let list = try groups.group(topic, name).pending(from: from, maxCount: maxCount)
            return { $0.send(.group(.pending(list)), requestID: requestID) }
        case .settle(let topic, let name, let action, let offsets):
            try groups.group(topic, name).settle(action, offsets: offsets)
            return { $0.send(.ok, requestID: requestID) }
        case .ack(let member, let offsets):
            try joinedGroup(member).ack(MemberKey(connection: connectionID, joinID: member), offsets: offsets)
            return { $0.send(.ok, requestID: requestID) }
        case .nack(let member, let offsets):
            try joinedGroup(member).nack(MemberKey(connection: connectionID, joinID: member), offsets: offsets)
            return { $0.send(.ok, requestID: requestID) }
        case .leave(let member):
            let group = try joinedGroup(member)
            group.leave(MemberKey(connection: connectionID, joinID: member), clean: true)
            return {
                $0.members[member] = nil
                $0.send(.ok, requestID: requestID)
            }
        case .commit(let topic, let name, let offset):
            let group = try groups.group(topic, name)
            try group.commit(offset)
            let committed = group.committedOffset
            return { $0.send(.group(.committed(committed)), requestID: requestID) }
        case .offset(let topic, let name, let start):
            let group = try groups.groupCreatingIfNeeded(
                topic, name, start: start.storagePosition, requested: WireGroupSettings(), limits: broker.configuration.limits,
                creator: creator)
            let committed = group.committedOffset
            return { $0.send(.group(.committed(committed)), requestID: requestID) }
        case .list(let topic):
            if !topic.isEmpty {
                // Checked before the topic is looked up, so the answer is the same whether or not it exists.
                try access.check(.seeTopic(topic), for: identity)
                _ = try broker.store.topic(topic)
            }
            let list = groups.list(topic: topic.isEmpty ? nil : topic)
                .filter { access.maySee(identity, topic: $0.topic.name, group: $0.name) }
                .map { $0.info() }
            return { $0.send(.group(.list(list)), requestID: requestID) }
        case .describe(let topic, let name):
            let info = try groups.group(topic, name).info()
            return { $0.send(.group(.info(info)), requestID: requestID) }
        case .reset(let topic, let name, let target, let execute, let force):
            let group = try groups.group(topic, name)
            let current = group.committedOffset
            let destination = try group.resetTarget(target)
            if group.hasMembers && !force {
                throw ProtocolError(.groupBusy, "group \(name) on \(topic) has active members; stop them first or pass --force")
            }
            if execute { try group.reset(to: destination, force: force) }
            return { $0.send(.group(.resetPlan(current: current, target: destination, executed: execute)), requestID: requestID) }
        case .delete(let topic, let name):
            try groups.delete(topic, name)
            return { $0.send(.ok, requestID: requestID) }
        case .recovery(let topic, let name):
            let notes = try groups.group(topic, name).recoveryNotes
            return { $0.send(.group(.recoveryNotes(notes)), requestID: requestID) }
        }
    }

    private func joinedGroup(_ id: UInt32) throws -> ConsumerGroup {
        guard let group = members[id] else {
            throw ProtocolError(.unknownMember, "member \(id) is not joined to a group on this connection")
        }
        return group
    }
}

extension ConnectionHandler {
    /// Adds a membership once its group exists (created on the worker).
    func join(_ group: ConsumerGroup, requestID: UInt32, maxInFlight: UInt32) {
        guard let context, state == .ready else { return }
        members[requestID] = group
        let endpoint = ConnectionEndpoint(
            handler: NIOLoopBound(self, eventLoop: context.eventLoop), eventLoop: context.eventLoop, writable: writable)
        let committed = group.join(
            MemberKey(connection: connectionID, joinID: requestID), endpoint: endpoint, clientName: clientName, pid: peer.pid,
            maxInFlight: maxInFlight)
        send(.group(.joined(committedOffset: committed)), requestID: requestID)
    }
}
