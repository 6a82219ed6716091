import ImmutaLocks
import ImmutaProtocol
import Synchronization

/// Counts open connections, in all and per peer uid, and refuses those beyond
/// `max_connections`, `max_connections_per_uid`, and the user's own `max_connections` from
/// `access.limits`.
final class ConnectionAdmission: Sendable {
    private struct Counts {
        var total = 0
        var perUID: [UInt32: Int] = [:]
    }

    private let counts = Locked(Counts())

    /// Admits a connection from `uid`, or returns the error that refuses it. A connection
    /// admitted must be released exactly once with ``release(uid:)``.
    func admit(uid: UInt32, limits: ServerLimits) -> ProtocolError? {
        counts.withLock { counts in
            if counts.total >= limits.maxConnections {
                return ProtocolError(
                    .tooManyConnections,
                    "the server already serves \(counts.total) connections, the limit max_connections = \(limits.maxConnections); close idle clients or raise the limit")
            }
            let mine = counts.perUID[uid, default: 0]
            if mine >= limits.maxConnectionsPerUID {
                return ProtocolError(
                    .tooManyConnections,
                    "uid \(uid) already has \(mine) connections, the limit max_connections_per_uid = \(limits.maxConnectionsPerUID); close some or raise the limit")
            }
            counts.total += 1
            counts.perUID[uid] = mine + 1
            return nil
        }
    }

    /// The refusal of an admitted connection beyond its user's own `max_connections` (from
    /// `access.limits`, known once the user's groups are), or nil. A refused connection is still
    /// released like any other.
    func refusal(of identity: ClientIdentity, own: IdentityLimits.Limit?) -> ProtocolError? {
        guard let own else { return nil }
        let mine = counts.withLock { $0.perUID[identity.uid, default: 0] }
        guard mine > own.value else { return nil }
        return ProtocolError(
            .tooManyConnections,
            "\(identity) already has \(mine - 1) connections, the limit \(own.key) = \(own.value); close some or raise the limit")
    }

    func release(uid: UInt32) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.perUID[uid, default: 1] - 1
            counts.perUID[uid] = left > 0 ? left : nil
        }
    }
}
