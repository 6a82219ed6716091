import ImmutaLocks
import Synchronization

/// All topics of a data directory: `DATA/topics/NAME/` holds each topic's `topic.json` and
/// segments. Creating and deleting topics is atomic on disk: a topic is assembled under a hidden
/// name and renamed into place, and deleted by renaming it away first.
public final class TopicStore: Sendable {
    /// The data directory.
    public let dataDirectory: String
    /// `DATA/topics`.
    public let topicsDirectory: String
    private let topics: Locked<[String: Topic]>

    private init(dataDirectory: String, topics: [String: Topic]) {
        self.dataDirectory = dataDirectory
        self.topicsDirectory = dataDirectory + "/topics"
        self.topics = Locked(topics)
    }

    /// Opens every topic under `dataDirectory`, recovering each one.
    ///
    /// - Returns: the store and, per topic, what recovery repaired.
    public static func open(dataDirectory: String) throws -> (TopicStore, [String: RecoveryReport]) {
        let topicsDirectory = dataDirectory + "/topics"
        try FileIO.makeDirectory(topicsDirectory)
        var names: [String] = []
        for entry in try FileIO.list(topicsDirectory).sorted() {
            guard entry.hasPrefix(".") else {
                names.append(entry)
                continue
            }
            // Leftovers of a create or delete that a crash interrupted.
            let directory = topicsDirectory + "/" + entry
            if FileIO.isDirectory(directory) { try FileIO.removeTree(directory) }
        }
        // Each topic recovers on its own, so they open side by side.
        let opened = try names.concurrentMap { name -> (Topic, RecoveryReport)? in
            let directory = topicsDirectory + "/" + name
            // Not a topic (an editor's backup, a stray file): leave it alone.
            guard FileIO.isDirectory(directory) else { return nil }
            let metadata = try TopicMetadata.read(from: directory)
            return try Topic.open(name: name, directory: directory, metadata: metadata, create: false)
        }
        var topics: [String: Topic] = [:]
        var reports: [String: RecoveryReport] = [:]
        for (name, found) in zip(names, opened) {
            guard let (topic, report) = found else { continue }
            topics[name] = topic
            reports[name] = report
        }
        try FileIO.syncDirectory(topicsDirectory)
        return (TopicStore(dataDirectory: dataDirectory, topics: topics), reports)
    }

    /// Creates a topic.
    ///
    /// - Throws: ``StorageError/invalidName(_:reason:)`` for a name outside ``SafeName``, or
    ///   ``StorageError/topicExists(_:)``. Nothing is created when it throws.
    @discardableResult
    public func create(
        _ name: String, configuration: RecordLogConfiguration = RecordLogConfiguration(), ownerUID: UInt32? = nil
    ) throws -> Topic {
        try SafeName.validate(name)
        try configuration.validate()
        return try topics.withLock { topics in
            guard topics[name] == nil else { throw StorageError.topicExists(name) }
            let staging = topicsDirectory + "/" + Self.hiddenName("creating", name)
            let directory = topicsDirectory + "/" + name
            if FileIO.exists(staging) { try FileIO.removeTree(staging) }
            try FileIO.makeDirectory(staging)
            let metadata = TopicMetadata(
                name: name, createdAt: currentTimeNanoseconds(), configuration: configuration, ownerUID: ownerUID)
            do {
                try metadata.write(to: staging)
                try FileIO.rename(staging, to: directory)
                try FileIO.syncDirectory(topicsDirectory)
            } catch {
                try? FileIO.removeTree(staging)
                throw error
            }
            let (topic, _) = try Topic.open(name: name, directory: directory, metadata: metadata, create: true)
            topics[name] = topic
            return topic
        }
    }

    /// The number of topics.
    public var count: Int { topics.withLock { $0.count } }

    /// The topic called `name`.
    ///
    /// - Throws: ``StorageError/invalidName(_:reason:)`` for a name no topic can have, else
    ///   ``StorageError/topicNotFound(_:)``.
    public func topic(_ name: String) throws -> Topic {
        try SafeName.validate(name)
        guard let topic = topics.withLock({ $0[name] }) else { throw StorageError.topicNotFound(name) }
        return topic
    }

    /// The topic called `name`, or nil.
    public func existingTopic(_ name: String) -> Topic? { topics.withLock { $0[name] } }

    /// All topics, by name.
    public func list() -> [Topic] { topics.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

    /// Closes a topic and deletes its directory. Readers still holding its segments finish reading
    /// from the unlinked files.
    public func delete(_ name: String) throws {
        try SafeName.validate(name)
        let topic = try topics.withLock { topics in
            guard let topic = topics.removeValue(forKey: name) else { throw StorageError.topicNotFound(name) }
            return topic
        }
        try? topic.close()
        let doomed = topicsDirectory + "/" + Self.hiddenName("deleting", name) + "-" + String(currentTimeNanoseconds())
        try FileIO.rename(topic.directory, to: doomed)
        try FileIO.syncDirectory(topicsDirectory)
        try FileIO.removeTree(doomed)
    }

    /// The hidden name a topic's directory has while it is created or deleted. It keeps at most 200
    /// bytes of the topic's name, so that with its prefix and a timestamp it stays within the 255
    /// bytes a directory name may have even for the longest topic names (valid names are ASCII).
    private static func hiddenName(_ purpose: String, _ name: String) -> String {
        "." + purpose + "-" + name.prefix(200)
    }

    /// Flushes and closes every topic, side by side (each close is a flush and a few system
    /// calls of its own: one by one, 10,000 topics took seconds to stop). Every topic is closed
    /// even when some fail; the first failure is thrown.
    public func close() throws {
        _ = try list().concurrentMap { try $0.close() }
    }
}
