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

    init(name: String, directory: String, log: RecordLog, createdAt: Int64) {
        self.name = name
        self.directory = directory
        self.log = log
        self.createdAt = createdAt
    }

    /// Changes the topic's configuration and persists it.
    public func reconfigure(_ configuration: RecordLogConfiguration) throws {
        try configuration.validate()
        try TopicMetadata(name: name, createdAt: createdAt, configuration: configuration).write(to: directory)
        try log.updateConfiguration(configuration)
    }
}
