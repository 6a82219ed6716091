import Logging
import ImmutaSystemd
import Synchronization

/// The daemon's log level, changeable at run time (SIGHUP). swift-log handlers copy their level
/// when created, so the handlers get `.trace` and every logger consults this gate instead.
final class LogLevelControl: Sendable {
    static let shared = LogLevelControl()
    private let raw = Atomic<Int>(2)

    var level: Logger.Level {
        get { Logger.Level.allCases[raw.load(ordering: .relaxed)] }
        set { raw.store(Logger.Level.allCases.firstIndex(of: newValue) ?? 2, ordering: .relaxed) }
    }
}

/// A handler whose level is ``LogLevelControl/shared``'s, so a reload changes every logger at once.
struct GatedLogHandler: LogHandler {
    var inner: any LogHandler

    var logLevel: Logger.Level {
        get { LogLevelControl.shared.level }
        set { LogLevelControl.shared.level = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}

enum DaemonLogging {
    /// Installs the journal handler under systemd (or when forced), plain stderr lines otherwise,
    /// both behind the reloadable level.
    static func bootstrap(level: Logger.Level, forceJournal: Bool) {
        LogLevelControl.shared.level = level
        let destination = LoggingSetup.destination(forceJournal: forceJournal)
        LoggingSystem.bootstrap { label in
            var inner: any LogHandler =
                destination == .journal ? JournalLogHandler(label: label) : StderrLogHandler(label: label)
            inner.logLevel = .trace
            return GatedLogHandler(inner: inner)
        }
    }
}
