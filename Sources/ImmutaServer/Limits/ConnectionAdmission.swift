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
    func admit(_ identity: ClientIdentity, limits: ServerLimits, own: IdentityLimits.Limit? = nil) -> ProtocolError? {
        let uid = identity.uid
        return counts.withLock { counts in
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
            if let own, mine >= own.value {
                return ProtocolError(
                    .tooManyConnections,
                    "\(identity) already has \(mine) connections, the limit \(own.key) = \(own.value); close some or raise the limit")
            }
            counts.total += 1
            counts.perUID[uid] = mine + 1
            return nil
        }
    }

    func release(uid: UInt32) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.perUID[uid, default: 1] - 1
            counts.perUID[uid] = left > 0 ? left : nil
        }
    }
}
