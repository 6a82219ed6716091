import ImmutaStorage
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Per-topic settings from the configuration file, applied at start and on reload to topics that
/// exist (unset values leave the topic as it is).
public struct TopicOverride: Sendable, Hashable {
    public var durability: Durability?
    public var retentionBytes: UInt64??
    public var retentionMilliseconds: Int64??
    public var maxRecordBytes: UInt64?
    public var segmentBytes: UInt64?

    /// Applies the override to a topic's configuration.
    public func applied(to base: RecordLogConfiguration) -> RecordLogConfiguration {
        var configuration = base
        if let durability { configuration.durability = durability }
        if let retentionBytes { configuration.retentionBytes = retentionBytes }
        if let retentionMilliseconds { configuration.retentionMilliseconds = retentionMilliseconds }
        if let maxRecordBytes { configuration.maxRecordBytes = maxRecordBytes }
        if let segmentBytes { configuration.segmentBytes = segmentBytes }
        return configuration
    }
}

/// Everything the configuration file can set.
public struct DaemonSettings: Sendable, Hashable {
    /// The server's settings.
    public var server: ServerConfiguration
    /// The log level.
    public var logLevel: Logger.Level = .info
    /// Write to the journal even when standard error is not connected to it.
    public var forceJournal = false
    /// Settings for named topics.
    public var topics: [String: TopicOverride] = [:]
    /// Mirrors into NATS JetStream and sources from it.
    public var mirroring = MirrorConfiguration()
    /// Said in the start-up log line about access control when the rules are not from a file.
    public var accessNote: String?

    /// The defaults for running in place: `./data` and `./immuta.sock`, and everything allowed
    /// to the user who started immutad (and nothing to anyone else), said at start-up.
    public static var runInPlace: DaemonSettings {
        var settings = DaemonSettings(server: ServerConfiguration(dataDirectory: "./data", socketPath: "./immuta.sock"))
        let uid = getuid()
        settings.server.access = AccessPolicy(grants: [
            AccessGrant(label: "grant \"run in place\"", subjects: [.uid(uid)], operations: Set(AccessOperation.allCases), topics: [NamePattern("*")])
        ])
        settings.accessNote =
            "running in place without a configuration file: uid \(uid), who started immutad, may do everything; every other user nothing (give --config with access grants, docs/SECURITY.md)"
        return settings
    }

    /// The settings that differ between `self` and `new` but need a restart to change.
    public func restartOnlyChanges(comparedTo new: DaemonSettings) -> [String] {
        var changes: [String] = []
        if server.dataDirectory != new.server.dataDirectory { changes.append("data_dir") }
        if server.socketPath != new.server.socketPath { changes.append("socket") }
        if server.socketMode != new.server.socketMode { changes.append("socket_mode") }
        if server.socketGroup != new.server.socketGroup { changes.append("socket_group") }
        if server.maxFrameLength != new.server.maxFrameLength { changes.append("max_frame_bytes") }
        if server.eventLoopThreads != new.server.eventLoopThreads { changes.append("event_loop_threads") }
        if server.ioThreads != new.server.ioThreads { changes.append("io_threads") }
        if forceJournal != new.forceJournal { changes.append("journal") }
        return changes
    }
}
