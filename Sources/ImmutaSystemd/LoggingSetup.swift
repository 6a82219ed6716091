import Logging

/// Chooses and installs immutad's log handler: the journal under systemd, plain lines on standard error
/// otherwise.
///
/// ```swift
/// let level = try LoggingSetup.parseLevel(options.logLevel)   // "info"
/// LoggingSetup.bootstrap(level: level)
/// let logger = Logger(label: "immutad")
/// ```
public enum LoggingSetup {
    /// Where log lines go.
    public enum Destination: String, Hashable, Sendable {
        /// ``JournalLogHandler``: structured entries through the journal's native protocol.
        case journal
        /// ``StderrLogHandler``: one plain line per statement on standard error.
        case stderr
    }

    /// The journal when standard error is the journal (``SystemdNotifier/isUnderJournal``) or when
    /// `forceJournal` is set, standard error otherwise.
    public static func destination(forceJournal: Bool, notifier: SystemdNotifier = SystemdNotifier()) -> Destination {
        forceJournal || notifier.isUnderJournal ? .journal : .stderr
    }

    /// The level of every logger of the process; setting it takes effect at once (for reloads).
    public static var level: Logger.Level {
        get { ReloadableLevel.current }
        set { ReloadableLevel.current = newValue }
    }

    /// Installs the log handler for the whole process, with `level` as every logger's level (see
    /// ``level`` to change it later). Call it once, first thing in `main`: swift-log allows a single
    /// bootstrap per process.
    ///
    /// - Parameters:
    ///   - level: the lowest level written.
    ///   - forceJournal: write to the journal even when standard error is not connected to it.
    ///   - identifier: the journal's `SYSLOG_IDENTIFIER`.
    /// - Returns: where the lines go, for the daemon's first log line.
    @discardableResult
    public static func bootstrap(
        level: Logger.Level,
        forceJournal: Bool = false,
        identifier: String = "immutad"
    ) -> Destination {
        let destination = destination(forceJournal: forceJournal)
        ReloadableLevel.current = level
        LoggingSystem.bootstrap(
            { label, provider in
                var handler: any LogHandler =
                    switch destination {
                    case .journal: JournalLogHandler(label: label, identifier: identifier, metadataProvider: provider)
                    case .stderr: StderrLogHandler(label: label, metadataProvider: provider)
                    }
                handler.logLevel = .trace  // the gate filters
                return LevelGate(inner: handler)
            },
            metadataProvider: nil
        )
        return destination
    }

    /// Parses a level name as given on the command line or in the configuration: one of trace, debug,
    /// info, notice, warning, error, critical, in any case, surrounding spaces ignored.
    ///
    /// - Throws: ``SystemdError/Code/invalidLogLevel`` naming the bad value and the valid ones.
    public static func parseLevel(_ text: String) throws(SystemdError) -> Logger.Level {
        let name = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if let level = Logger.Level(rawValue: name.lowercased()) {
            return level
        }
        let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
        throw SystemdError(
            code: .invalidLogLevel,
            message: "invalid log level \"\(text)\": expected one of \(names)"
        )
    }
}
