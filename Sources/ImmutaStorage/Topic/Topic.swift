import ImmutaLocks
import Synchronization

/// A named topic: a record log plus its metadata file.
public final class Topic: Sendable {
    /// The topic's name.
    public let name: String
    /// Its directory.
    public let directory: String
    /// The record log that stores it.
    public let log: RecordLog
    /// When it was created (nanoseconds since the Unix epoch).
    public let createdAt: Int64
    /// The uid of the client that created it, when known.
    public let ownerUID: UInt32?
    /// Its idempotent producers' state (see ``appendIdempotent(framed:expectedCount:producer:sequence:limits:)``).
    let sequencing: Locked<Sequencing>

    init(
        name: String, directory: String, log: RecordLog, createdAt: Int64, ownerUID: UInt32? = nil,
        sequencing: Sequencing = Sequencing()
    ) {
        self.name = name
        self.directory = directory
        self.log = log
        self.createdAt = createdAt
        self.ownerUID = ownerUID
        self.sequencing = Locked(sequencing)
    }

    /// Opens a topic's logs: the records, and the producer state when there is one.
    static func open(name: String, directory: String, metadata: TopicMetadata, create: Bool) throws -> (Topic, RecoveryReport) {
        var (log, report) = try RecordLog.open(
            directory: directory, name: "topic \(name)", configuration: metadata.configuration, create: create)
        var sequencing = Sequencing()
        if let (stateLog, table, notes) = try ProducerStateLog.open(
            topicDirectory: directory, topicName: name, topicLog: log, create: false)
        {
            sequencing = Sequencing(stateLog: stateLog, table: table, lastCheckpoint: stateLog.log.bounds.earliestOffset)
            report.notes += notes
        }
        return (Topic(name: name, directory: directory, log: log, createdAt: metadata.createdAt, ownerUID: metadata.ownerUID, sequencing: sequencing),
            report)
    }

    /// Flushes and closes the topic's logs.
    public func close() throws {
        let stateLog = sequencing.withLock { $0.stateLog }
        defer { try? stateLog?.log.close() }
        try log.close()
    }

    /// Changes the topic's configuration and persists it.
    public func reconfigure(_ configuration: RecordLogConfiguration) throws {
        try configuration.validate()
        try TopicMetadata(name: name, createdAt: createdAt, configuration: configuration, ownerUID: ownerUID).write(to: directory)
        try log.updateConfiguration(configuration)
    }
}
