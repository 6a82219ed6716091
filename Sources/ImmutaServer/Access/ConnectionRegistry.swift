import ImmutaLocks
import ImmutaProtocol
import Synchronization

/// The identified connections, for LIST_CONNECTIONS (`immutactl status`): who each peer is, by
/// the kernel's word, and the name it gave in HELLO.
final class ConnectionRegistry: Sendable {
    struct Entry: Sendable {
        var identity: ClientIdentity
        var clientName: String
        /// Milliseconds since the Unix epoch.
        var connectedAt: Int64
        /// Ends, on the connection's own loop, what new rules no longer allow.
        var revoke: @Sendable (AccessPolicy) -> Void
    }

    private let entries = Locked([UInt64: Entry]())

    func add(_ id: UInt64, _ entry: Entry) {
        entries.withLock { $0[id] = entry }
    }

    func rename(_ id: UInt64, clientName: String) {
        entries.withLock { $0[id]?.clientName = clientName }
    }

    func remove(_ id: UInt64) {
        entries.withLock { $0[id] = nil }
    }

    /// Has every connection end the subscriptions and memberships `policy` no longer allows.
    func revoke(under policy: AccessPolicy) {
        for entry in entries.withLock({ Array($0.values) }) { entry.revoke(policy) }
    }

    /// The connections `viewer` may see: all of them for one who administers everything,
    /// otherwise those of the same uid.
    func list(for viewer: ClientIdentity, connection: UInt64, seesAll: Bool) -> [WireConnection] {
        let all = entries.withLock { $0 }
        return all.filter { seesAll || $0.value.identity.uid == viewer.uid }.sorted { $0.key < $1.key }.map { id, entry in
            WireConnection(
                id: id, pid: entry.identity.pid, uid: entry.identity.uid, gid: entry.identity.gid,
                user: entry.identity.userName ?? "", groups: entry.identity.groupList, clientName: entry.clientName,
                connectedAt: entry.connectedAt, isSelf: id == connection)
        }
    }
}
