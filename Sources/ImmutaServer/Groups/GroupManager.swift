import ImmutaLocks
import ImmutaProtocol
import NIOPosix
import ImmutaStorage
import Logging
import Synchronization

/// Every consumer group of the data directory, under `DATA/groups/TOPIC/GROUP/` (settings in
/// `group.json`, committed offsets in the `offsets/` record log).
final class GroupManager: Sendable {
    let store: TopicStore
    let groupsDirectory: String
    let logger: Logger
    let pool: NIOThreadPool
    let deadLetterTopics: DeadLetterTopicCreation
    private let groups = Locked<[String: ConsumerGroup]>([:])

    init(store: TopicStore, deadLetterTopics: DeadLetterTopicCreation, logger: Logger, pool: NIOThreadPool) throws {
        self.pool = pool
        self.deadLetterTopics = deadLetterTopics
        self.store = store
        self.logger = logger
        groupsDirectory = store.dataDirectory + "/groups"
        try Self.makeDirectoryDurably(groupsDirectory)
        var topics: [(name: String, topic: Topic)] = []
        for topicName in try FileIO.list(groupsDirectory).sorted() where !topicName.hasPrefix(".") {
            guard let topic = store.existingTopic(topicName) else {
                // The topic was deleted but a crash kept its groups: finish the job.
                try FileIO.removeTree(groupsDirectory + "/" + topicName)
                try FileIO.syncDirectory(groupsDirectory)
                continue
            }
            topics.append((topicName, topic))
        }
        // Each topic's groups recover on their own, so topics are taken side by side.
        let (groupsDirectory, logger) = (self.groupsDirectory, self.logger)
        let opened = try topics.concurrentMap { topicName, topic in
            let topicDirectory = groupsDirectory + "/" + topicName
            var groups: [(String, ConsumerGroup)] = []
            for groupName in try FileIO.list(topicDirectory).sorted() {
                let directory = topicDirectory + "/" + groupName
                if groupName.hasPrefix(".") {
                    try FileIO.removeTree(directory)
                    try FileIO.syncDirectory(topicDirectory)
                    continue
                }
                let settings = try GroupSettings.read(from: directory)
                let offsets = try Self.openOffsets(directory, topicName, groupName, logger: logger)
                let group = ConsumerGroup(
                    topic: topic, settings: settings, directory: directory, offsets: offsets, store: store,
                    deadLetterTopics: deadLetterTopics, logger: logger, pool: pool)
                try group.clampCommittedToTopicEnd()
                groups.append((Self.key(topicName, groupName), group))
            }
            return groups
        }
        let loaded = Dictionary(uniqueKeysWithValues: opened.joined())
        groups.withLock { $0 = loaded }
        logger.info("recovered consumer groups", metadata: ["count": "\(loaded.count)"])
    }

    static func key(_ topic: String, _ group: String) -> String { topic + "/" + group }

    /// Creates a directory when missing and fsyncs its parent, so that the new entry survives a
    /// power loss like the files later created in it.
    ///
    /// Fix: `groups/` and `groups/TOPIC/` were created without that fsync (as were removals of
    /// leftovers without one of their own), so a power loss could take a group's directory and
    /// its commits with it although every file inside had been flushed.
    static func makeDirectoryDurably(_ path: String) throws {
        guard !FileIO.exists(path) else { return }
        try FileIO.makeDirectory(path)
        try FileIO.syncDirectory(FileIO.parent(of: path))
    }

    /// Opens a group's offset log; a compaction that fails is logged (the group goes on with the
    /// old log, and the next commit tries again).
    private static func openOffsets(_ directory: String, _ topic: String, _ group: String, logger: Logger) throws -> CommitLog {
        let offsets = try CommitLog(directory: directory, name: "group \(topic)/\(group)") { error in
            logger.error(
                "compacting a group's offset log failed; it keeps the old log and retries at its next commit",
                metadata: ["topic": "\(topic)", "group": "\(group)", "error": "\(error)"])
        }
        for note in offsets.recoveryNotes {
            logger.warning(
                "recovery repaired a group's offset log; it resumes from its last intact commit, and records after it are delivered again",
                metadata: [
                    "topic": "\(topic)", "group": "\(group)", "detail": "\(note)",
                    "committed": "\(offsets.committed.map(String.init) ?? "none")",
                ])
        }
        return offsets
    }

    /// The hidden name of a group directory being created or deleted.
    ///
    /// Fix: it was `.creating-` / `.deleting-` + the whole name, which is longer than the 255
    /// bytes a directory name may have for group names over 245 bytes (up to 255 are allowed),
    /// so creating such a group failed with ENAMETOOLONG. Keep at most 200 bytes of the name, as
    /// TopicStore does (valid names are ASCII). Hidden directories are removed on startup.
    static func hiddenName(_ purpose: String, _ name: String) -> String {
        "." + purpose + "-" + name.prefix(200)
    }

    /// The group, or a not-found error.
    func group(_ topic: String, _ group: String) throws -> ConsumerGroup {
        try SafeName.validate(group, kind: "group")
        guard let found = groups.withLock({ $0[Self.key(topic, group)] }) else {
            _ = try store.topic(topic)
            throw ProtocolError(.groupNotFound, "group \(group) does not exist on topic \(topic)")
        }
        return found
    }

    /// The group, created at `start` with `requested` settings when it does not exist.
    func groupCreatingIfNeeded(
        _ topicName: String, _ groupName: String, start: StartPosition, requested: WireGroupSettings,
        limits: ServerLimits = ServerLimits(), creator: Creator? = nil
    ) throws -> ConsumerGroup {
        try SafeName.validate(groupName, kind: "group")
        let topic = try store.topic(topicName)
        return try groups.withLock { groups in
            if let existing = groups[Self.key(topicName, groupName)] { return existing }
            // Fix: a topic deleted since it was looked up above (its groups' directory is removed
            // under this lock, in ``topicDeleted(_:)``) made the renames below fail with ENOENT,
            // answered as `storage_failure`; or, once the removal was done, left a group of a
            // deleted topic behind. Checked under the lock, it is plainly an unknown topic.
            guard store.existingTopic(topicName) === topic else { throw StorageError.topicNotFound(topicName) }
            try limits.checkNewGroup(topic: topicName, groupCount: groups.values.count { $0.topic.name == topicName })
            if let creator {
                try creator.checkNewGroup(owned: groups.values.count { $0.settings.ownerUID == creator.identity.uid })
            }
            let settings = try GroupSettings(topic: topicName, group: groupName, requested: requested, ownerUID: creator?.identity.uid)
            let startOffset = try topic.log.resolve(start)
            let topicDirectory = groupsDirectory + "/" + topicName
            let directory = topicDirectory + "/" + groupName
            let staging = topicDirectory + "/" + Self.hiddenName("creating", groupName)
            try Self.makeDirectoryDurably(topicDirectory)
            // A leftover is removed without an fsync of its own: the rename below is followed by
            // one of the same directory.
            if FileIO.exists(staging) { try FileIO.removeTree(staging) }
            let offsets = try CommitLog(directory: staging, name: "group \(topicName)/\(groupName)")
            try offsets.commit(startOffset)
            try offsets.close()
            try settings.write(to: staging)
            try FileIO.rename(staging, to: directory)
            try FileIO.syncDirectory(topicDirectory)
            let reopened = try Self.openOffsets(directory, topicName, groupName, logger: logger)
            let group = ConsumerGroup(
                topic: topic, settings: settings, directory: directory, offsets: reopened, store: store,
                deadLetterTopics: deadLetterTopics, logger: logger, pool: pool)
            groups[Self.key(topicName, groupName)] = group
            logger.info("created consumer group", metadata: ["topic": "\(topicName)", "group": "\(groupName)", "offset": "\(startOffset)"])
            return group
        }
    }

    /// Groups of one topic, or of all topics.
    func list(topic: String?) -> [ConsumerGroup] {
        groups.withLock { Array($0.values) }
            .filter { topic == nil || $0.topic.name == topic }
            .sorted { ($0.topic.name, $0.name) < ($1.topic.name, $1.name) }
    }

    /// Deletes a group with no members.
    func delete(_ topic: String, _ name: String) throws {
        let group = try self.group(topic, name)
        guard !group.hasMembers else {
            throw ProtocolError(.groupBusy, "group \(name) on \(topic) has active members; stop them before deleting it")
        }
        // Under the groups' lock, like ``topicDeleted(_:)``: the topic's deletion removes this
        // directory too, and a rename racing it failed with ENOENT (`storage_failure`).
        try groups.withLock { groups in
            guard groups[Self.key(topic, name)] === group else {
                guard store.existingTopic(topic) != nil else { throw StorageError.topicNotFound(topic) }
                throw ProtocolError(.groupNotFound, "group \(name) does not exist on topic \(topic)")
            }
            groups[Self.key(topic, name)] = nil
            group.markDeleted()
            let doomed = groupsDirectory + "/" + topic + "/" + Self.hiddenName("deleting", name) + "-" + String(currentTimeNanoseconds())
            try FileIO.rename(group.directory, to: doomed)
            try FileIO.syncDirectory(groupsDirectory + "/" + topic)
            try FileIO.removeTree(doomed)
            try FileIO.syncDirectory(groupsDirectory + "/" + topic)
        }
        logger.info("deleted consumer group", metadata: ["topic": "\(topic)", "group": "\(name)"])
    }

    /// Drops every group of a deleted topic.
    ///
    /// The directory is removed under the groups' lock, so a group being created for the topic
    /// at the same moment either finishes first (and is removed here) or finds the topic gone.
    func topicDeleted(_ topic: String) {
        groups.withLock { groups in
            let matching = groups.filter { $0.value.topic.name == topic }
            for key in matching.keys { groups[key] = nil }
            for group in matching.values { group.markDeleted() }
            let directory = groupsDirectory + "/" + topic
            guard FileIO.exists(directory) else { return }
            do {
                try FileIO.removeTree(directory)
                try FileIO.syncDirectory(groupsDirectory)
            } catch {
                // Startup removes the groups of a topic that no longer exists.
                logger.error("could not remove the groups of a deleted topic", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
    }

    /// Runs ack timeouts.
    func expireAcks() {
        for group in groups.withLock({ Array($0.values) }) where group.hasRecordsInFlight {
            group.expireAcks()
        }
    }

    /// Flushes every group's offsets.
    func close() {
        _ = try? groups.withLock { Array($0.values) }.concurrentMap { try? $0.offsets.close() }
    }
}
