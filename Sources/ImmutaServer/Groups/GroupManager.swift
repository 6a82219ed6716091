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
    private let groups = Locked<[String: ConsumerGroup]>([:])

    init(store: TopicStore, logger: Logger, pool: NIOThreadPool) throws {
        self.pool = pool
        self.store = store
        self.logger = logger
        groupsDirectory = store.dataDirectory + "/groups"
        try FileIO.makeDirectory(groupsDirectory)
        var loaded: [String: ConsumerGroup] = [:]
        for topicName in try FileIO.list(groupsDirectory).sorted() where !topicName.hasPrefix(".") {
            let topicDirectory = groupsDirectory + "/" + topicName
            guard let topic = store.existingTopic(topicName) else {
                // The topic was deleted but a crash kept its groups: finish the job.
                try FileIO.removeTree(topicDirectory)
                continue
            }
            for groupName in try FileIO.list(topicDirectory).sorted() {
                let directory = topicDirectory + "/" + groupName
                if groupName.hasPrefix(".") {
                    try FileIO.removeTree(directory)
                    continue
                }
                let settings = try GroupSettings.read(from: directory)
                let offsets = try GroupOffsetLog(directory: directory, name: "group \(topicName)/\(groupName)")
                loaded[Self.key(topicName, groupName)] = ConsumerGroup(
                    topic: topic, settings: settings, directory: directory, offsets: offsets, store: store, logger: logger, pool: pool)
            }
        }
        groups.withLock { $0 = loaded }
        logger.info("recovered consumer groups", metadata: ["count": "\(loaded.count)"])
    }

    static func key(_ topic: String, _ group: String) -> String { topic + "/" + group }

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
        limits: ServerLimits = ServerLimits()
    ) throws -> ConsumerGroup {
        try SafeName.validate(groupName, kind: "group")
        let topic = try store.topic(topicName)
        return try groups.withLock { groups in
            if let existing = groups[Self.key(topicName, groupName)] { return existing }
            try limits.checkNewGroup(topic: topicName, groupCount: groups.values.count { $0.topic.name == topicName })
            let settings = try GroupSettings(topic: topicName, group: groupName, requested: requested)
            let startOffset = try topic.log.resolve(start)
            let topicDirectory = groupsDirectory + "/" + topicName
            let directory = topicDirectory + "/" + groupName
            let staging = topicDirectory + "/" + Self.hiddenName("creating", groupName)
            try FileIO.makeDirectory(topicDirectory)
            if FileIO.exists(staging) { try FileIO.removeTree(staging) }
            let offsets = try GroupOffsetLog(directory: staging, name: "group \(topicName)/\(groupName)")
            try offsets.commit(startOffset)
            try offsets.close()
            try settings.write(to: staging)
            try FileIO.rename(staging, to: directory)
            try FileIO.syncDirectory(topicDirectory)
            let reopened = try GroupOffsetLog(directory: directory, name: "group \(topicName)/\(groupName)")
            let group = ConsumerGroup(
                topic: topic, settings: settings, directory: directory, offsets: reopened, store: store, logger: logger, pool: pool)
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
        groups.withLock { _ = $0.removeValue(forKey: Self.key(topic, name)) }
        group.markDeleted()
        let doomed = groupsDirectory + "/" + topic + "/" + Self.hiddenName("deleting", name) + "-" + String(currentTimeNanoseconds())
        try FileIO.rename(group.directory, to: doomed)
        try FileIO.syncDirectory(groupsDirectory + "/" + topic)
        try FileIO.removeTree(doomed)
        logger.info("deleted consumer group", metadata: ["topic": "\(topic)", "group": "\(name)"])
    }

    /// Drops every group of a deleted topic.
    func topicDeleted(_ topic: String) {
        let doomed = groups.withLock { groups -> [ConsumerGroup] in
            let matching = groups.filter { $0.value.topic.name == topic }
            for key in matching.keys { groups[key] = nil }
            return Array(matching.values)
        }
        for group in doomed { group.markDeleted() }
        try? FileIO.removeTree(groupsDirectory + "/" + topic)
    }

    /// Runs ack timeouts.
    func expireAcks() {
        for group in groups.withLock({ Array($0.values) }) where group.hasRecordsInFlight {
            group.expireAcks()
        }
    }

    /// Flushes every group's offsets.
    func close() {
        for group in groups.withLock({ Array($0.values) }) { try? group.offsets.close() }
    }
}
