import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

extension ConnectionHandler {
    /// Ends the subscriptions and group memberships that the rules no longer allow, after a
    /// reload: each with an ERROR `permission_denied` carrying its id, the way a deleted topic
    /// ends them (PROTOCOL.md 13.5). Without this, a stream opened under a grant that was since
    /// removed went on receiving records (a large initial credit needs no further request).
    func revoke(under policy: AccessPolicy) {
        guard let identity, state == .ready else { return }
        for (id, subscription) in subscriptions where !policy.allows(identity, .consume, topic: subscription.topic.name) {
            subscriptions[id] = nil
            subscription.cancel()
            broker.stats.subscriptions.wrappingSubtract(1, ordering: .relaxed)
            let topic = subscription.topic.name
            broker.audit.record(identity, operation: "subscribe", topic: topic, group: nil, decision: .denied, detail: "revoked by a reload")
            sendError(
                ProtocolError(.permissionDenied, "permission denied: \(identity) may no longer consume topic \(topic); the rules changed"),
                requestID: id, flush: true)
        }
        for (joinID, group) in members where !policy.allows(identity, .consume, topic: group.topic.name, group: group.name) {
            members[joinID] = nil
            let key = MemberKey(connection: connectionID, joinID: joinID)
            worker.async { group.leave(key) }
            broker.audit.record(
                identity, operation: "join_group", topic: group.topic.name, group: group.name, decision: .denied,
                detail: "revoked by a reload")
            sendError(
                ProtocolError(
                    .permissionDenied,
                    "permission denied: \(identity) may no longer consume topic \(group.topic.name) in group \(group.name); the rules changed"),
                requestID: joinID, flush: true)
        }
    }
}
