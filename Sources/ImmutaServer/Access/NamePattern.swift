#if canImport(Glibc)
import Glibc
#endif

/// A topic or group name pattern in a grant: an exact name, or a shell glob (`*`, `?`, `[…]`)
/// matched with fnmatch(3). A prefix is a glob ending in `*`: `orders.*`.
public struct NamePattern: Sendable, Hashable, CustomStringConvertible {
    public var text: String

    public init(_ text: String) {
        self.text = text
    }

    /// Whether the pattern has glob characters (otherwise it names one topic or group).
    public var isGlob: Bool { text.contains { "*?[".contains($0) } }

    public func matches(_ name: String) -> Bool {
        isGlob ? fnmatch(text, name, 0) == 0 : text == name
    }

    /// Whether the pattern matches every name.
    public var matchesEverything: Bool { text == "*" }

    public var description: String { text }
}

/// Whom a grant or limit applies to: a user or group, by name or id, or everyone.
public enum AccessSubject: Sendable, Hashable, CustomStringConvertible {
    case userName(String)
    case uid(UInt32)
    case groupName(String)
    case gid(UInt32)
    case anyone

    func includes(_ identity: ClientIdentity) -> Bool {
        switch self {
        case .userName(let name): identity.userName == name
        case .uid(let uid): identity.uid == uid
        case .groupName(let name): identity.groupNames.values.contains(name)
        case .gid(let gid): identity.groupIDs.contains(gid)
        case .anyone: true
        }
    }

    public var description: String {
        switch self {
        case .userName(let name): "user \(name)"
        case .uid(let uid): "uid \(uid)"
        case .groupName(let name): "group \(name)"
        case .gid(let gid): "gid \(gid)"
        case .anyone: "every user"
        }
    }
}
