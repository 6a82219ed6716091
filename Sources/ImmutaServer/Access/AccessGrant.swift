/// One grant of the configuration's `access.grants`: operations on topics (and, for consume,
/// consumer groups) for some users and groups. Grants only add: an operation is allowed when any
/// grant allows it.
public struct AccessGrant: Sendable, Hashable {
    /// Its `name`, or "grant N" (1-based, in file order).
    public var label: String
    public var subjects: [AccessSubject]
    public var operations: Set<AccessOperation>
    public var topics: [NamePattern]
    /// For consume: the groups that may be joined or committed (nil: every group).
    public var consumerGroups: [NamePattern]?

    public init(
        label: String, subjects: [AccessSubject], operations: Set<AccessOperation>, topics: [NamePattern],
        consumerGroups: [NamePattern]? = nil
    ) {
        self.label = label
        self.subjects = subjects
        self.operations = operations
        self.topics = topics
        self.consumerGroups = consumerGroups
    }

    func applies(to identity: ClientIdentity) -> AccessSubject? {
        subjects.first { $0.includes(identity) }
    }

    func covers(topic: String) -> Bool {
        topics.contains { $0.matches(topic) }
    }

    func covers(group: String) -> Bool {
        consumerGroups?.contains { $0.matches(group) } ?? true
    }

    /// "grant "services" (group immuta: produce, consume on orders.*)".
    var summary: String {
        let operations = AccessOperation.allCases.filter(self.operations.contains).map(\.rawValue).joined(separator: ", ")
        var text = "\(label) (\(subjects.map(\.description).joined(separator: ", ")): \(operations) on topics \(topics.map(\.text).joined(separator: ", "))"
        if let consumerGroups { text += ", groups \(consumerGroups.map(\.text).joined(separator: ", "))" }
        return text + ")"
    }
}
