import ImmutaProtocol
import ImmutaStorage

extension RequestExecutor {
    /// ACCESS_CHECK and LIST_CONNECTIONS.
    func access(_ request: AccessRequest, requestID: UInt32) throws -> LoopAction {
        switch request {
        case .check(let user, let operationName, let topic, let group):
            guard let operation = AccessOperation(rawValue: operationName) else {
                throw ProtocolError(.invalidRequest, "operation \"\(operationName)\" is not produce, consume or admin")
            }
            try SafeName.validate(topic)
            if !group.isEmpty { try SafeName.validate(group, kind: "group") }
            let subject = try checkedIdentity(user)
            let decision = access.decide(subject, operation, topic: topic, group: group.isEmpty ? nil : group)
            let response = Response.access(
                .decision(allowed: decision.allowed, subject: Self.describe(subject), explanation: decision.explanation))
            return { $0.send(response, requestID: requestID) }
        case .connections:
            let list = broker.connections.list(
                for: identity, connection: connectionID, seesAll: access.administersEverything(identity))
            return { $0.send(.access(.connections(list)), requestID: requestID) }
        }
    }

    /// The identity an ACCESS_CHECK asks about: the asker's own, or, for one who administers
    /// every topic, any user of the host.
    private func checkedIdentity(_ user: String) throws -> ClientIdentity {
        if user.isEmpty || user == identity.userName || user == "\(identity.uid)" { return identity }
        guard access.administersEverything(identity) else {
            throw ProtocolError(
                .permissionDenied,
                "permission denied: \(identity) may check only its own access; checking another user's needs admin on every topic")
        }
        guard let found = ClientIdentity.lookUp(user: user) else {
            throw ProtocolError(.invalidRequest, "there is no user \(user) on this host (give a user name or a numeric uid)")
        }
        return found
    }

    /// A dead-letter topic other than the default `TOPIC.dlq` is one the daemon will write to, and
    /// create at the first dead letter, on the group's behalf: the client that names it must be
    /// allowed to produce there, and to administer it when it does not exist yet. (The default is
    /// derived from a topic the client may consume, and takes only that topic's records.)
    func checkDeadLetterTopic(_ deadLetterTopic: String, of topic: String) throws {
        guard !deadLetterTopic.isEmpty, deadLetterTopic != topic + ".dlq" else { return }
        try access.require(identity, .produce, topic: deadLetterTopic)
        if broker.store.existingTopic(deadLetterTopic) == nil { try access.require(identity, .admin, topic: deadLetterTopic) }
    }

    /// "user alice (uid 1001), groups alice(1001), web(1002)".
    static func describe(_ identity: ClientIdentity) -> String {
        let groups = identity.groupList
        return groups.isEmpty ? "\(identity)" : "\(identity), groups \(groups.joined(separator: ", "))"
    }
}
