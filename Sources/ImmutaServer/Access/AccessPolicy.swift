import ImmutaProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The access rules in force: who may do what to which topics and groups, and the limits of
/// each identity. Root and the daemon's own user may do everything; anyone else only what a
/// grant allows. Replaced as a whole on reload; every request is judged by the rules current
/// when it runs.
public struct AccessPolicy: Sendable, Hashable {
    public var grants: [AccessGrant]
    public var limits: [IdentityLimitRule]

    public init(grants: [AccessGrant] = [], limits: [IdentityLimitRule] = []) {
        self.grants = grants
        self.limits = limits
    }

    /// The outcome of a check, with the rule that decides it (or why none does).
    public struct Decision: Sendable, Hashable {
        public var allowed: Bool
        public var explanation: String
    }

    /// Why `identity` may do everything, or nil: root, and the user the daemon runs as.
    public static func superuserReason(_ identity: ClientIdentity) -> String? {
        guard isSuperuser(identity) else { return nil }
        return identity.uid == 0
            ? "\(identity) is root, which may do everything" : "\(identity) is the user immutad runs as, which may do everything"
    }

    /// Root, or the user the daemon runs as: checked on every request, so without building the
    /// explanation ``superuserReason(_:)`` gives.
    static func isSuperuser(_ identity: ClientIdentity) -> Bool {
        identity.uid == 0 || identity.uid == daemonUID
    }

    private static let daemonUID = getuid()

    /// Decides whether `identity` may do `operation` on `topic` (and `group`, for a consumer
    /// group's consume or admin).
    public func decide(_ identity: ClientIdentity, _ operation: AccessOperation, topic: String, group: String? = nil) -> Decision {
        if let reason = Self.superuserReason(identity) { return Decision(allowed: true, explanation: reason) }
        var misses: [String] = []
        for grant in grants {
            guard let subject = grant.applies(to: identity) else { continue }
            if !grant.operations.contains(operation) {
                misses.append("\(grant.label) does not include \(operation)")
            } else if !grant.covers(topic: topic) {
                misses.append("\(grant.label) covers topics \(grant.topics.map(\.text).joined(separator: ", ")), not \(topic)")
            } else if operation == .consume, let group, !grant.covers(group: group) {
                let patterns = grant.consumerGroups?.map(\.text).joined(separator: ", ") ?? ""
                misses.append("\(grant.label) covers groups \(patterns), not \(group)")
            } else {
                return Decision(allowed: true, explanation: "allowed by \(grant.summary), which applies to \(identity) as \(subject)")
            }
        }
        let what = "\(identity) may not \(operation.phrase(topic: topic, group: group))"
        if misses.isEmpty {
            let groups = identity.groupList.joined(separator: ", ")
            return Decision(allowed: false, explanation: "\(what): no grant names the user or its groups (\(groups))")
        }
        return Decision(allowed: false, explanation: "\(what): \(misses.joined(separator: "; "))")
    }

    /// Throws `permission_denied` unless `identity` may do `operation` on `topic` (and `group`).
    public func require(_ identity: ClientIdentity, _ operation: AccessOperation, topic: String, group: String? = nil) throws {
        guard !allows(identity, operation, topic: topic, group: group) else { return }
        throw ProtocolError(
            .permissionDenied, "permission denied: \(identity) may not \(operation.phrase(topic: topic, group: group))")
    }

    /// Like ``decide(_:_:topic:group:)`` without building the explanation (the hot path).
    public func allows(_ identity: ClientIdentity, _ operation: AccessOperation, topic: String, group: String? = nil) -> Bool {
        if Self.isSuperuser(identity) { return true }
        return grants.contains { grant in
            grant.operations.contains(operation) && grant.applies(to: identity) != nil && grant.covers(topic: topic)
                && (operation != .consume || group.map(grant.covers(group:)) ?? true)
        }
    }

    /// Whether `identity` may know that `topic` exists: it may do something to it.
    public func maySee(_ identity: ClientIdentity, topic: String) -> Bool {
        AccessOperation.allCases.contains { allows(identity, $0, topic: topic) }
    }

    /// Whether `identity` may see a consumer group: consume in it, or administer its topic.
    public func maySee(_ identity: ClientIdentity, topic: String, group: String) -> Bool {
        allows(identity, .consume, topic: topic, group: group) || allows(identity, .admin, topic: topic)
    }

    /// Whether `identity` administers the whole daemon: a superuser, or `admin` on every topic.
    public func administersEverything(_ identity: ClientIdentity) -> Bool {
        if Self.isSuperuser(identity) { return true }
        return grants.contains { grant in
            grant.operations.contains(.admin) && grant.applies(to: identity) != nil && grant.topics.contains(where: \.matchesEverything)
        }
    }

    /// Whether any grant applies to `identity` at all (daemon-wide counters are shown only then).
    public func grantsAnything(to identity: ClientIdentity) -> Bool {
        Self.isSuperuser(identity) || grants.contains { $0.applies(to: identity) != nil }
    }

    /// The limits that apply to `identity`: per key, the lowest that any matching rule sets.
    public func limits(for identity: ClientIdentity) -> IdentityLimits {
        var result = IdentityLimits()
        for rule in limits where rule.subjects.contains(where: { $0.includes(identity) }) {
            result.tighten(with: rule)
        }
        return result
    }
}

extension AccessPolicy {
    /// The user and group names in the rules that the user database does not know.
    public func unknownNames() -> [String] {
        var unknown: [String] = []
        for subject in grants.flatMap(\.subjects) + limits.flatMap(\.subjects) {
            switch subject {
            case .userName(let name) where UserDatabase.user(named: name) == nil: unknown.append("user \(name)")
            case .groupName(let name) where UserDatabase.group(named: name) == nil: unknown.append("group \(name)")
            default: continue
            }
        }
        return Array(Set(unknown)).sorted()
    }
}
