/// What a grant allows.
public enum AccessOperation: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Append records to a topic.
    case produce
    /// Read a topic: fetch, subscribe, and join, commit or read the offset of its consumer groups.
    case consume
    /// Create, delete and configure topics; reset and delete consumer groups; list every
    /// connection, and check any user's access.
    case admin

    public var description: String { rawValue }

    /// "produce to topic t", "consume topic t (group g)", "administer topic t".
    func phrase(topic: String, group: String?) -> String {
        switch self {
        case .produce: "produce to topic \(topic)"
        case .consume: group.map { "consume topic \(topic) in group \($0)" } ?? "consume topic \(topic)"
        case .admin: group.map { "administer group \($0) of topic \(topic)" } ?? "administer topic \(topic)"
        }
    }
}
