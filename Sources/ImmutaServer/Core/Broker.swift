import Dispatch
import ImmutaLocks
import ImmutaMirror
import ImmutaProtocol
import ImmutaStorage
import NIOPosix
import Logging
import Synchronization

/// The daemon's core, independent of sockets: the topics, their defaults and the counters.
public final class Broker: Sendable {
    /// Every topic of the data directory.
    public let store: TopicStore
    /// Counters for STATS and the systemd status line.
    public let stats = ServerStats()
    /// Every consumer group.
    let groups: GroupManager
    /// The threads that run requests and group deliveries: everything that touches the disk.
    let ioPool: NIOThreadPool
    /// The identified connections (LIST_CONNECTIONS).
    let connections = ConnectionRegistry()
    /// Administrative operations and denials, logged with structured fields.
    let audit: AuditLog
    /// Dead-letter topics, created by the daemon under the topic limit.
    let deadLetterTopics: DeadLetterTopicCreation
    /// The connection limits' counts.
    let admission = ConnectionAdmission()
    /// Failed appends, logged once per topic and interval.
    let appendFailures = AppendFailureLog()
    /// Mirrors into NATS JetStream and sources from it, once ``applyMirroring(_:)`` started them.
    let mirrorSupervisor = Locked<MirrorSupervisor?>(nil)
    private let settings: Locked<ServerConfiguration>
    /// Held while a client's topic is counted against the limits and created.
    private let creating = Locked(())
    /// Set by ``close()`` before it closes anything: errors from topics and groups closed under
    /// requests then answer `shutting_down` (``ProtocolError/from(_:shuttingDown:)``).
    private let closing = Atomic<Bool>(false)
    let logger: Logger

    /// Opens the data directory and recovers every topic, logging what recovery repaired.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.logger = logger
        self.audit = AuditLog(logger: logger)
        settings = Locked(configuration)
        // Before any log opens: recovery of many topics must already stay within the bound.
        DescriptorCache.shared.capacityFiles = configuration.limits.maxOpenSegmentFiles
        let (store, reports) = try TopicStore.open(dataDirectory: configuration.dataDirectory)
        self.store = store
        ioPool = NIOThreadPool(numberOfThreads: configuration.ioThreads)
        ioPool.start()
        deadLetterTopics = DeadLetterTopicCreation(store: store, maxTopics: configuration.limits.maxTopics, audit: audit)
        groups = try GroupManager(store: store, deadLetterTopics: deadLetterTopics, logger: logger, pool: ioPool)
        for (topic, report) in reports.sorted(by: { $0.key < $1.key }) {
            for note in report.notes {
                logger.warning("recovery repaired a torn write", metadata: ["topic": "\(topic)", "detail": "\(note)"])
            }
        }
        logger.info("recovered topics", metadata: ["count": "\(reports.count)"])
        for topic in store.list() { reportRecoveries(of: topic) }
    }

    /// Logs each time the topic's log recovers from a failed write or flush while running.
    private func reportRecoveries(of topic: Topic) {
        let (logger, name) = (logger, topic.name)
        topic.log.onRecovery { note in
            logger.warning("topic recovered from a storage failure", metadata: ["topic": "\(name)", "detail": "\(note)"])
        }
    }

    /// The current configuration.
    public var configuration: ServerConfiguration { settings.withLock { $0 } }

    /// Replaces the settings that can change while running (topic defaults, limits).
    public func updateConfiguration(_ configuration: ServerConfiguration) {
        let previous = settings.withLock { settings in
            defer { settings = configuration }
            return settings.access
        }
        if previous != configuration.access { connections.revoke(under: configuration.access) }
        DescriptorCache.shared.capacityFiles = configuration.limits.maxOpenSegmentFiles
        deadLetterTopics.update(maxTopics: configuration.limits.maxTopics)
    }

    /// Applies the per-topic settings of the configuration file to the topics that exist.
    ///
    /// - Returns: one line per topic changed or setting refused.
    @discardableResult
    public func applyTopicOverrides(_ overrides: [String: TopicOverride]) -> [String] {
        var notes: [String] = []
        for (name, override) in overrides.sorted(by: { $0.key < $1.key }) {
            guard let topic = store.existingTopic(name) else { continue }
            let current = topic.log.configuration
            let wanted = override.applied(to: current)
            guard wanted != current else { continue }
            do {
                try topic.reconfigure(wanted)
                notes.append("topic \(name): applied \(wanted.durability) durability, retention \(wanted.retentionBytes.map { "\($0) bytes" } ?? "unlimited") / \(wanted.retentionMilliseconds.map { "\($0) ms" } ?? "unlimited")")
            } catch {
                notes.append("topic \(name): not applied: \(error)")
            }
        }
        return notes
    }

    /// Creates a topic, filling unset values from the defaults. In CREATE_TOPIC, 0 asks for the
    /// server's default; `retention_bytes` 2⁶⁴−1 and `retention_ms` −1 ask for no limit even when
    /// the default has one. Every value is then range-checked by the storage engine.
    func createTopic(_ name: String, config: WireTopicConfig, creator: Creator? = nil) throws -> Topic {
        try SafeName.validate(name)
        let configuration = try self.configuration.topicDefaults.overlaid(with: config)
        try configuration.validate()
        try checkFitsFrames(configuration)
        // Counted and created under one lock: creations running at once on several connections
        // each saw room for one more and went past max_topics together.
        let topic = try creating.withLock { _ throws -> Topic in
            try self.configuration.limits.checkNewTopic(configuration, topicCount: store.count)
            if let creator {
                try creator.checkNewTopic(owned: store.list().count { $0.ownerUID == creator.identity.uid })
            }
            return try store.create(name, configuration: configuration, ownerUID: creator?.identity.uid)
        }
        reportRecoveries(of: topic)
        mirrorSupervisor.withLock { $0 }?.topicsChanged()
        logger.info("created topic", metadata: ["topic": "\(name)", "durability": "\(configuration.durability)"])
        return topic
    }

    /// Deletes a topic and its data.
    func deleteTopic(_ name: String) throws {
        try store.delete(name)
        groups.topicDeleted(name)
        appendFailures.forget(topic: name)
        mirrorSupervisor.withLock { $0 }?.topicsChanged()
        logger.info("deleted topic", metadata: ["topic": "\(name)"])
    }

    /// A topic's description for the wire.
    func info(_ topic: Topic) -> WireTopicInfo {
        let bounds = topic.log.bounds
        let config = topic.log.configuration
        return WireTopicInfo(
            name: topic.name,
            config: WireTopicConfig(
                segmentBytes: config.segmentBytes, maxRecordBytes: config.maxRecordBytes,
                retentionBytes: config.retentionBytes ?? 0, retentionMilliseconds: config.retentionMilliseconds ?? 0,
                durability: config.durability.description),
            earliestOffset: bounds.earliestOffset, nextOffset: bounds.nextOffset, bytes: bounds.bytes,
            segments: UInt32(bounds.segments), createdAt: topic.createdAt)
    }

    /// Applies every topic's retention, logging what was deleted.
    public func enforceRetention() {
        for topic in store.list() {
            do {
                let removed = try topic.log.enforceRetention()
                if !removed.isEmpty {
                    logger.info("retention deleted segments", metadata: ["topic": "\(topic.name)", "segments": "\(removed.count)"])
                }
            } catch {
                logger.error("retention failed", metadata: ["topic": "\(topic.name)", "error": "\(error)"])
            }
        }
    }

    /// The longest time any topic writer has spent in its current append, in nanoseconds.
    public var longestWriterStallNanoseconds: Int64 {
        store.list().compactMap(\.log.writerBusyNanoseconds).max() ?? 0
    }

    /// Whether ``close()`` has begun: the daemon is shutting down.
    var isShuttingDown: Bool { closing.load(ordering: .acquiring) }

    /// Flushes and closes every topic.
    public func close() throws {
        closing.store(true, ordering: .releasing)
        // Before the topics close under them: each commits its resume point.
        mirrorSupervisor.withLock { $0 }?.stop()
        groups.close()
        try store.close()
    }

    /// Stops the I/O thread pool once the jobs already queued on it (connection requests, group
    /// deliveries, members leaving) have run, waiting at most `limit`: a job stuck on a stalled
    /// disk must not hold the exit. Returns whether every job finished. Jobs queued after this
    /// run at once, on the thread that queues them.
    ///
    /// The process used to exit with jobs still running on the pool, touching groups and topics
    /// that were closed under them.
    public func finishQueuedJobs(within limit: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let once = Locked(Optional(continuation))
            let resume: @Sendable (Bool) -> Void = { finished in once.withLock { $0.take() }?.resume(returning: finished) }
            ioPool.shutdownGracefully { _ in resume(true) }
            let (seconds, attoseconds) = limit.components
            let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { resume(false) }
        }
    }
}
