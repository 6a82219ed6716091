import ImmutaProtocol

/// What the daemon's access rules decide for one user and operation, and which rule decides.
public struct AccessDecision: Sendable, Hashable {
    public var allowed: Bool
    /// Who was checked: "user alice (uid 1001), groups alice(1001), web(1002)".
    public var subject: String
    /// The grant that allows it, or why none does.
    public var explanation: String
}

/// A client connection as immutad identified it (SO_PEERCRED and the user database).
public struct ConnectionDescription: Sendable, Hashable {
    /// The daemon's number for the connection.
    public var id: UInt64
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The user's name, empty when the uid has none.
    public var user: String
    /// Every group of the user, as `name(gid)` or `gid`.
    public var groups: [String]
    /// The name the client gave when it connected.
    public var clientName: String
    /// When it connected, in milliseconds since the Unix epoch.
    public var connectedAt: Int64
    /// Whether it is the connection that asked.
    public var isSelf: Bool

    init(_ wire: WireConnection) {
        id = wire.id
        pid = wire.pid
        uid = wire.uid
        gid = wire.gid
        user = wire.user
        groups = wire.groups
        clientName = wire.clientName
        connectedAt = wire.connectedAt
        isSelf = wire.isSelf
    }

    /// "user alice (uid 1001)", or "uid 1001".
    public var who: String { user.isEmpty ? "uid \(uid)" : "user \(user) (uid \(uid))" }
}

extension ImmutaClient {
    /// Asks the daemon whether `user` (nil: this connection's own user) may do `operation`
    /// (`produce`, `consume` or `admin`) on `topic`, in `group` for a consumer group. Checking
    /// another user needs admin on every topic.
    public func checkAccess(user: String? = nil, operation: String, topic: String, group: String? = nil) async throws
        -> AccessDecision
    {
        let request = AccessRequest.check(user: user ?? "", operation: operation, topic: topic, group: group ?? "")
        guard case .access(.decision(let allowed, let subject, let explanation)) = try await send(.access(request)) else {
            throw unexpected("ACCESS_CHECK")
        }
        return AccessDecision(allowed: allowed, subject: subject, explanation: explanation)
    }

    /// The daemon's client connections with who is behind each: all of them for one who
    /// administers every topic, otherwise those of this connection's own user.
    public func listConnections() async throws -> [ConnectionDescription] {
        guard case .access(.connections(let list)) = try await send(.access(.connections)) else {
            throw unexpected("LIST_CONNECTIONS")
        }
        return list.map(ConnectionDescription.init)
    }
}
