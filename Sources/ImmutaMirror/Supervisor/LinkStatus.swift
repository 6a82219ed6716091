/// One mirrored topic or one source, as `immutactl mirror list` shows it.
public struct LinkStatus: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case mirror
        case source
    }

    public var kind: Kind
    /// The `mirrors:` or `sources:` entry's name.
    public var name: String
    /// The local topic.
    public var topic: String
    /// The JetStream stream.
    public var stream: String
    /// A mirror's subject, or a source's durable consumer.
    public var target: String
    public var phase: LinkPhase
    /// A mirror's resume point (the lowest offset JetStream has not acknowledged), or a source's
    /// last applied stream sequence.
    public var position: UInt64
    /// The topic's next offset.
    public var topicEnd: UInt64
    /// Records not yet in the stream (mirror), or messages the consumer has not delivered (source).
    public var lagRecords: UInt64
    /// How old the oldest record not yet in the stream is (mirror), or how old the last
    /// appended message was when it arrived (source); 0 when caught up.
    public var lagMilliseconds: Int64
    /// Records acknowledged by JetStream (mirror) or appended (source) per second, lately.
    public var recordsPerSecond: Double
    /// Records acknowledged (or appended) since immutad started, and how many of those JetStream
    /// reported as duplicates (or the source skipped as already applied).
    public var records: UInt64
    public var duplicates: UInt64
    public var rewinds: UInt64
    public var lastError: String
    /// When the last error happened, in milliseconds since the Unix epoch (0: never).
    public var lastErrorAt: Int64

    public init(
        kind: Kind, name: String, topic: String, stream: String, target: String, phase: LinkPhase, position: UInt64 = 0,
        topicEnd: UInt64 = 0, lagRecords: UInt64 = 0, lagMilliseconds: Int64 = 0, recordsPerSecond: Double = 0, records: UInt64 = 0,
        duplicates: UInt64 = 0, rewinds: UInt64 = 0, lastError: String = "", lastErrorAt: Int64 = 0
    ) {
        self.kind = kind
        self.name = name
        self.topic = topic
        self.stream = stream
        self.target = target
        self.phase = phase
        self.position = position
        self.topicEnd = topicEnd
        self.lagRecords = lagRecords
        self.lagMilliseconds = lagMilliseconds
        self.recordsPerSecond = recordsPerSecond
        self.records = records
        self.duplicates = duplicates
        self.rewinds = rewinds
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}

/// A rate over the last few seconds, from samples of a growing count.
struct RateMeter: Sendable {
    private var samples: [(at: Int64, count: UInt64)] = []

    mutating func add(count: UInt64, at now: Int64) {
        if let last = samples.last, now - last.at < 500 { return }
        samples.append((now, count))
        samples.removeAll { now - $0.at > 5000 }
    }

    func perSecond(count: UInt64, at now: Int64) -> Double {
        guard let first = samples.first, now > first.at else { return 0 }
        return Double(count - min(count, first.count)) * 1000 / Double(now - first.at)
    }
}
