import ImmutaProtocol
import ImmutaStorage
import NIOCore

/// Delivers a group's records to one connection, on that connection's event loop.
struct ConnectionEndpoint: GroupMemberEndpoint {
    let handler: NIOLoopBound<ConnectionHandler>
    let eventLoop: any EventLoop

    func deliver(joinID: UInt32, deliveryCount: UInt16, slice: LogSlice?, logEnd: UInt64) {
        let handler = self.handler
        eventLoop.execute {
            let connection = handler.value
            guard connection.members[joinID] != nil else { return }
            connection.writeRecords(
                .groupDelivery, requestID: joinID, slice: slice, firstOffset: logEnd, logEnd: logEnd, flush: true,
                deliveryCount: deliveryCount)
        }
    }
}

extension ConnectionHandler {
    func handleGroup(_ request: GroupRequest, requestID: UInt32) throws {
        let groups = broker.groups
        switch request {
        case .join(let topic, let name, let start, let settings):
            guard members[requestID] == nil, subscriptions[requestID] == nil else {
                throw ProtocolError(.invalidRequest, "request id \(requestID) already names a subscription or membership")
            }
            guard let context else { return }
            let group = try groups.groupCreatingIfNeeded(topic, name, start: start.storagePosition, requested: settings)
            members[requestID] = group
            let endpoint = ConnectionEndpoint(handler: NIOLoopBound(self, eventLoop: context.eventLoop), eventLoop: context.eventLoop)
            let committed = group.join(
                MemberKey(connection: connectionID, joinID: requestID), endpoint: endpoint, clientName: clientName, pid: peerPID)
            send(.group(.joined(committedOffset: committed)), requestID: requestID)
        case .ack(let member, let offsets):
            try joinedGroup(member).ack(MemberKey(connection: connectionID, joinID: member), offsets: offsets)
            send(.ok, requestID: requestID)
        case .nack(let member, let offsets):
            try joinedGroup(member).nack(MemberKey(connection: connectionID, joinID: member), offsets: offsets)
            send(.ok, requestID: requestID)
        case .leave(let member):
            let group = try joinedGroup(member)
            members[member] = nil
            group.leave(MemberKey(connection: connectionID, joinID: member), clean: true)
            send(.ok, requestID: requestID)
        case .commit(let topic, let name, let offset):
            try groups.group(topic, name).commit(offset)
            send(.ok, requestID: requestID)
        case .offset(let topic, let name, let start):
            let group = try groups.groupCreatingIfNeeded(topic, name, start: start.storagePosition, requested: WireGroupSettings())
            send(.group(.committed(group.committedOffset)), requestID: requestID)
        case .list(let topic):
            if !topic.isEmpty { _ = try broker.store.topic(topic) }
            send(.group(.list(groups.list(topic: topic.isEmpty ? nil : topic).map { $0.info() })), requestID: requestID)
        case .describe(let topic, let name):
            send(.group(.info(try groups.group(topic, name).info())), requestID: requestID)
        case .reset(let topic, let name, let target, let execute, let force):
            let group = try groups.group(topic, name)
            let current = group.committedOffset
            let destination = try group.resetTarget(target)
            if group.hasMembers && !force {
                throw ProtocolError(
                    .groupBusy, "group \(name) on \(topic) has active members; stop them first or pass --force")
            }
            if execute { try group.reset(to: destination, force: force) }
            send(.group(.resetPlan(current: current, target: destination, executed: execute)), requestID: requestID)
        case .delete(let topic, let name):
            try groups.delete(topic, name)
            send(.ok, requestID: requestID)
        }
    }

    private func joinedGroup(_ id: UInt32) throws -> ConsumerGroup {
        guard let group = members[id] else {
            throw ProtocolError(.unknownMember, "member \(id) is not joined to a group on this connection")
        }
        return group
    }
}
