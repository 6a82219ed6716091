/// One `mirrors:` entry: local topics published into JetStream streams, one stream per topic.
public struct MirrorSettings: Sendable, Hashable {
    /// The mirror's name: what `immutactl mirror` and the state directory call it.
    public var name: String
    /// Topic names, or patterns with `*` (any run of characters), of the topics to mirror.
    public var topics: [String]
    public var endpoint: NatsEndpoint
    /// The stream's name; `{host}` and `{topic}` are replaced, and characters a stream name cannot
    /// hold become `_`.
    public var stream = "IMMUTA_{host}_{topic}"
    /// The subject records are published on; `{host}` and `{topic}` are replaced.
    public var subject = "immuta.{host}.{topic}"
    /// Replicas of a stream the mirror creates (an existing stream is used as it is).
    public var replicas = 3
    /// The stream's duplicate-detection window, in milliseconds, when the mirror creates it.
    public var duplicateWindowMilliseconds: Int64 = 120_000
    /// Publishes sent and not yet acknowledged, at most.
    public var window = 256
    /// How long a publish waits for its acknowledgement before it counts as lost and is resent.
    public var publishTimeoutMilliseconds: Int64 = 5000
    /// Where a topic starts when it has no resume point and its stream holds none of its records.
    public var start: MirrorStart = .earliest
    /// A warning is logged when a topic's mirror lags more than this.
    public var lagWarningMilliseconds: Int64 = 60_000
    /// Topics the mirror takes at most: each has a thread and a NATS connection of its own, and
    /// clients create topics, so a pattern must not let them multiply without end.
    public var maxTopics = 64

    public static let replicasRange: ClosedRange<Int64> = 1...5
    public static let windowRange: ClosedRange<Int64> = 1...65_536
    /// At least the two minutes a resend after a lost acknowledgement can take; at most a week.
    public static let duplicateWindowRange: ClosedRange<Int64> = 120_000...604_800_000
    public static let publishTimeoutRange: ClosedRange<Int64> = 100...600_000
    public static let maxTopicsRange: ClosedRange<Int64> = 1...1024

    public init(name: String, topics: [String], endpoint: NatsEndpoint) {
        self.name = name
        self.topics = topics
        self.endpoint = endpoint
    }
}

/// Where a new mirror of a topic begins.
public enum MirrorStart: Sendable, Hashable {
    /// The topic's earliest record.
    case earliest
    /// The records appended from now on.
    case latest
    /// A given offset (the earliest, when retention has already removed it).
    case offset(UInt64)
}
