import ImmutaStorage
import Logging

/// The audit trail: every administrative operation and every denial, one log entry each with
/// structured fields, so that `journalctl -u immuta IMMUTA_AUDIT=1` lists them (each metadata key
/// becomes a journal field in upper case: USER, UID, PID, OP, TOPIC, GROUP, DECISION). Denials
/// are throttled per user (``DenialThrottle``); SUPPRESSED counts those left out before an entry.
struct AuditLog: Sendable {
    let logger: Logger
    let throttle = DenialThrottle()

    enum Decision: String {
        /// Allowed and carried out.
        case allowed
        /// Allowed, but the operation failed (DETAIL says why).
        case failed
        /// Refused by the access rules.
        case denied
    }

    func record(
        _ identity: ClientIdentity, operation: String, topic: String?, group: String?, decision: Decision, detail: String? = nil
    ) {
        var suppressed = 0
        if decision == .denied {
            let admitted = throttle.admit(uid: identity.uid, second: monotonicNanoseconds() / 1_000_000_000)
            guard admitted.log else { return }
            suppressed = admitted.suppressed
        }
        var metadata: Logger.Metadata = [
            "immuta_audit": "1",
            "user": "\(identity.userName ?? "")",
            "uid": "\(identity.uid)",
            "pid": "\(identity.pid)",
            "op": "\(operation)",
            "decision": "\(decision.rawValue)",
        ]
        if let topic { metadata["topic"] = "\(topic)" }
        if let group { metadata["group"] = "\(group)" }
        if let detail { metadata["detail"] = "\(detail)" }
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        let subject = group.map { "group \($0) of topic \(topic ?? "")" } ?? topic.map { "topic \($0)" } ?? "the daemon"
        switch decision {
        case .denied: logger.warning("audit: denied \(operation) on \(subject) to \(identity)", metadata: metadata)
        case .failed: logger.notice("audit: \(operation) on \(subject) by \(identity) failed", metadata: metadata)
        case .allowed: logger.notice("audit: \(operation) on \(subject) by \(identity)", metadata: metadata)
        }
    }
}
