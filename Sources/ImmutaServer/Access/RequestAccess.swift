import ImmutaProtocol
import ImmutaStorage

/// What a request needs from the access rules before it runs.
enum AccessRequirement: Sendable, Equatable {
    /// Nothing: the handshake, PING, and requests on the connection's own subscriptions and
    /// memberships (granted when they were opened).
    case none
    /// An operation on a topic (and, for consumer groups, a group).
    case operation(AccessOperation, topic: String, group: String?)
    /// Any operation on the topic: enough to know it exists and describe it.
    case seeTopic(String)
    /// Consume in the group, or administer its topic.
    case seeGroup(topic: String, group: String)
    /// Decided by the request itself, on what it shows (listings, access checks).
    case filtered
}

extension Request {
    /// What the access rules must allow for this request to run.
    var accessRequirement: AccessRequirement {
        switch self {
        case .hello, .ping, .credit, .unsubscribe: .none
        case .listTopics, .access, .stats, .mirror: .filtered
        case .createTopic(let name, _), .deleteTopic(let name), .configureTopic(let name, _):
            .operation(.admin, topic: name, group: nil)
        case .describeTopic(let name): .seeTopic(name)
        case .produce(let topic, _, _, _), .produceIdempotent(let topic, _, _, _, _, _): .operation(.produce, topic: topic, group: nil)
        case .fetch(let topic, _, _, _, _), .subscribe(let topic, _, _, _): .operation(.consume, topic: topic, group: nil)
        case .group(let request):
            switch request {
            case .ack, .nack, .leave: .none
            case .list: .filtered
            case .join(let topic, let group, _, _, _), .commit(let topic, let group, _), .offset(let topic, let group, _),
                .settle(let topic, let group, _, _):
                .operation(.consume, topic: topic, group: group)
            case .describe(let topic, let group), .recovery(let topic, let group), .pending(let topic, let group, _, _):
                .seeGroup(topic: topic, group: group)
            case .reset(let topic, let group, _, _, _), .delete(let topic, let group), .configure(let topic, let group, _):
                .operation(.admin, topic: topic, group: group)
            }
        }
    }

    /// Checks the topic and group names the access rules will judge, before they do: a denial and
    /// its audit entry then only ever carry a valid name (never 64 KiB of text or a newline), and
    /// a name's validity depends on nothing that exists, so checking it first reveals nothing.
    func validateNames() throws {
        switch accessRequirement {
        case .operation(_, let topic, let group):
            try SafeName.validate(topic)
            if let group { try SafeName.validate(group, kind: "group") }
        case .seeTopic(let topic):
            try SafeName.validate(topic)
        case .seeGroup(let topic, let group):
            try SafeName.validate(topic)
            try SafeName.validate(group, kind: "group")
        case .none, .filtered:
            break
        }
        if case .group(.list(let topic)) = self, !topic.isEmpty { try SafeName.validate(topic) }
    }

    /// The name the audit log gives the request.
    var auditName: String {
        switch self {
        case .createTopic: "create_topic"
        case .deleteTopic: "delete_topic"
        case .configureTopic: "configure_topic"
        case .describeTopic: "describe_topic"
        case .stats: "stats"
        case .listTopics: "list_topics"
        case .access(.check): "access_check"
        case .access(.connections): "list_connections"
        case .mirror(.list): "list_mirrors"
        case .mirror(.control(_, let resume)): resume ? "resume_mirror" : "pause_mirror"
        case .produce, .produceIdempotent: "produce"
        case .fetch: "fetch"
        case .subscribe: "subscribe"
        case .group(let request):
            switch request {
            case .join: "join_group"
            case .commit: "commit_group"
            case .offset: "group_offset"
            case .describe: "describe_group"
            case .list: "list_groups"
            case .recovery: "group_recovery"
            case .reset(_, _, _, let execute, _): execute ? "reset_group" : "plan_group_reset"
            case .delete: "delete_group"
            case .configure: "configure_group"
            case .pending: "group_pending"
            case .settle(_, _, let action, _): action == .ack ? "settle_group_ack" : "settle_group_nack"
            default: "\(opcode)"
            }
        default: "\(opcode)"
        }
    }

    /// Whether the request changes what exists or where a group stands: audited when it runs,
    /// not only when it is denied.
    var isAdministrative: Bool {
        switch self {
        case .createTopic, .deleteTopic, .configureTopic: true
        case .group(.reset(_, _, _, let execute, _)): execute
        case .group(.delete), .group(.configure), .group(.settle): true
        // Pausing or resuming a mirror changes what the whole daemon does.
        case .mirror(.control): true
        default: false
        }
    }

    var auditTopic: String? {
        switch self {
        case .group(.list(let topic)) where !topic.isEmpty: return topic
        case .access(.check(_, _, let topic, _)): return topic
        default: break
        }
        return switch accessRequirement {
        case .operation(_, let topic, _), .seeTopic(let topic), .seeGroup(let topic, _): topic
        default: nil
        }
    }

    var auditGroup: String? {
        switch accessRequirement {
        case .operation(_, _, let group): group
        case .seeGroup(_, let group): group
        default: nil
        }
    }

    /// What an allowed administrative operation was about when it has no topic: the mirror a
    /// pause or resume named (a denial's or failure's detail is its message instead).
    var auditDetail: String? {
        guard case .mirror(.control(let name, _)) = self else { return nil }
        return "mirror \(name)"
    }
}

extension AccessPolicy {
    /// Throws `permission_denied` unless the rules allow `requirement` to `identity`.
    func check(_ requirement: AccessRequirement, for identity: ClientIdentity) throws {
        switch requirement {
        case .none, .filtered:
            return
        case .operation(let operation, let topic, let group):
            try require(identity, operation, topic: topic, group: group)
        case .seeTopic(let topic):
            guard !maySee(identity, topic: topic) else { return }
            throw ProtocolError(.permissionDenied, "permission denied: \(identity) has no access to topic \(topic)")
        case .seeGroup(let topic, let group):
            guard !maySee(identity, topic: topic, group: group) else { return }
            throw ProtocolError(.permissionDenied, "permission denied: \(identity) has no access to group \(group) of topic \(topic)")
        }
    }
}
