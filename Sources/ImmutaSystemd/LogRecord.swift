import Logging

/// What the two handlers share: merging a statement's metadata and mapping levels to syslog priorities.
enum LogRecord {
    /// The metadata of one statement: the handler's, then the provider's, then the statement's own, each
    /// overriding the one before, plus `error.message` and `error.type` when the statement carries an error.
    /// This is the order swift-log's own StreamLogHandler uses.
    static func mergedMetadata(
        base: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        explicit: Logger.Metadata?,
        error: (any Error)?
    ) -> Logger.Metadata {
        var merged = base
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        if let error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }
}

extension Logger.Level {
    /// The syslog priority journald and syslog use: 7 debug … 2 critical. swift-log's `trace` has no
    /// syslog counterpart and maps to debug (7).
    package var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
