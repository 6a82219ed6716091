import Logging
import Synchronization

/// The process's log level, changeable while it runs (immutad's SIGHUP reload). swift-log
/// handlers copy their level when a `Logger` is made, so ``LoggingSetup/bootstrap(level:forceJournal:identifier:)``
/// wraps every handler in ``LevelGate``, which asks this instead.
enum ReloadableLevel {
    private static let raw = Atomic<Int>(Logger.Level.allCases.firstIndex(of: .info)!)

    static var current: Logger.Level {
        get { Logger.Level.allCases[raw.load(ordering: .relaxed)] }
        set { raw.store(Logger.Level.allCases.firstIndex(of: newValue)!, ordering: .relaxed) }
    }
}

/// A handler whose level is the process's ``ReloadableLevel``; the wrapped handler writes.
struct LevelGate: LogHandler {
    var inner: any LogHandler

    var logLevel: Logger.Level {
        get { ReloadableLevel.current }
        set { ReloadableLevel.current = newValue }
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
