import ImmutaServer
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The start-up (and reload) log lines about access control: where the rules come from, who
/// may do everything, and names in them that the host does not know (a typo grants nothing).
enum AccessSummary {
    static func log(_ settings: DaemonSettings, logger: Logger) {
        let access = settings.server.access
        if let note = settings.accessNote {
            logger.notice("access: \(note)")
        } else {
            logger.notice(
                "access: root and uid \(getuid()) (the daemon's user) may do everything; everyone else what the grants allow",
                metadata: ["grants": "\(access.grants.count)", "limit_rules": "\(access.limits.count)"])
        }
        for name in access.unknownNames() {
            logger.warning("access: the rules name \(name), which this host does not know; it matches nobody")
        }
    }
}
