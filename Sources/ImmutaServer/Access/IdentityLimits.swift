/// One entry of the configuration's `access.limits`: caps for the users and groups it names,
/// each counted per user (uid), so that one noisy user cannot exhaust what the daemon-wide
/// limits leave to everyone else.
public struct IdentityLimitRule: Sendable, Hashable {
    /// Its `name`, or "limits N" (1-based, in file order).
    public var label: String
    public var subjects: [AccessSubject]
    /// `max_connections`: connections one user may hold at once.
    public var maxConnections: Int?
    /// `max_queued_reply_bytes`: replies queued for one of the user's connections.
    public var maxQueuedReplyBytes: Int?
    /// `max_topics`: topics the user may have created that still exist.
    public var maxTopics: Int?
    /// `max_groups`: consumer groups the user may have created that still exist.
    public var maxGroups: Int?

    public init(
        label: String, subjects: [AccessSubject], maxConnections: Int? = nil, maxQueuedReplyBytes: Int? = nil,
        maxTopics: Int? = nil, maxGroups: Int? = nil
    ) {
        self.label = label
        self.subjects = subjects
        self.maxConnections = maxConnections
        self.maxQueuedReplyBytes = maxQueuedReplyBytes
        self.maxTopics = maxTopics
        self.maxGroups = maxGroups
    }

    /// The keys a rule may set, and their ranges (shared by the configuration file and its docs).
    public static let ranges: [String: ClosedRange<Int64>] = [
        "max_connections": 1...1_000_000,
        "max_topics": 0...1_000_000,
        "max_groups": 0...1_000_000,
    ]
}

/// The limits of one identity, each with the rule that set it (for the error message).
public struct IdentityLimits: Sendable, Hashable {
    public struct Limit: Sendable, Hashable {
        public var value: Int
        /// "access.limits \"batch\".max_topics".
        public var key: String
    }

    public var maxConnections: Limit?
    public var maxQueuedReplyBytes: Limit?
    public var maxTopics: Limit?
    public var maxGroups: Limit?

    public init() {}

    mutating func tighten(with rule: IdentityLimitRule) {
        func lower(_ current: Limit?, _ value: Int?, _ key: String) -> Limit? {
            guard let value else { return current }
            if let current, current.value <= value { return current }
            return Limit(value: value, key: "access.limits \(rule.label).\(key)")
        }
        maxConnections = lower(maxConnections, rule.maxConnections, "max_connections")
        maxQueuedReplyBytes = lower(maxQueuedReplyBytes, rule.maxQueuedReplyBytes, "max_queued_reply_bytes")
        maxTopics = lower(maxTopics, rule.maxTopics, "max_topics")
        maxGroups = lower(maxGroups, rule.maxGroups, "max_groups")
    }
}
