import ImmutaProtocol
import ImmutaStorage
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Creates a consumer group's dead-letter topic when its first record is dead-lettered: under
/// the daemon's `max_topics` like a client's CREATE_TOPIC, owned by the user who created the
/// group (so it counts against that user's own `max_topics` from then on), and audited.
///
/// It used to be created with no limit and no owner, so a user allowed only to consume could
/// make the daemon create topics without bound (a group on `t.dlq` dead-letters into
/// `t.dlq.dlq`, and so on).
final class DeadLetterTopicCreation: Sendable {
    private let store: TopicStore
    private let maxTopics: Atomic<Int>
    private let audit: AuditLog

    init(store: TopicStore, maxTopics: Int, audit: AuditLog) {
        self.store = store
        self.maxTopics = Atomic(maxTopics)
        self.audit = audit
    }

    /// Follows a reload's `max_topics`.
    func update(maxTopics: Int) {
        self.maxTopics.store(maxTopics, ordering: .relaxed)
    }

    /// The dead-letter topic, created with `configuration` when missing.
    func topic(_ name: String, for group: GroupSettings, configuration: RecordLogConfiguration) throws -> Topic {
        if let existing = store.existingTopic(name) { return existing }
        let limit = maxTopics.load(ordering: .relaxed)
        guard store.count < limit else {
            throw ProtocolError(
                .tooManyTopics,
                "the dead-letter topic \(name) cannot be created: the server holds \(store.count) topics, the limit max_topics = \(limit)")
        }
        let created = try store.create(name, configuration: configuration, ownerUID: group.ownerUID)
        // On behalf of the group's creator; a group from before owners were recorded, the daemon's own user.
        let uid = group.ownerUID ?? getuid()
        let user = UserDatabase.user(uid: uid)
        let owner = ClientIdentity(uid: uid, gid: user?.gid ?? 0, pid: 0, userName: user?.name, groupIDs: [], groupNames: [:])
        audit.record(
            owner, operation: "create_topic", topic: name, group: nil, decision: .allowed,
            detail: "dead-letter topic of group \(group.group) of topic \(group.topic)")
        return created
    }
}
