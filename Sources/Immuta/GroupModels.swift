import ImmutaProtocol

/// Settings for a consumer group, applied when a member creates it (nil: the daemon's default).
public struct GroupOptions: Sendable, Hashable {
    /// Records one member may hold unacknowledged (default 1000).
    public var maxInFlight: Int?
    /// How long a member may hold a record before it goes to another member (default 30 s).
    public var ackTimeout: Duration?
    /// Deliveries before a record is dead-lettered (default 5).
    public var maxDeliveries: Int?
    /// Where records go after too many deliveries (default `<topic>.dlq`).
    public var deadLetterTopic: String?

    /// Creates options.
    public init(maxInFlight: Int? = nil, ackTimeout: Duration? = nil, maxDeliveries: Int? = nil, deadLetterTopic: String? = nil) {
        self.maxInFlight = maxInFlight
        self.ackTimeout = ackTimeout
        self.maxDeliveries = maxDeliveries
        self.deadLetterTopic = deadLetterTopic
    }

    var wire: WireGroupSettings {
        let ms = ackTimeout?.wholeMilliseconds
        return WireGroupSettings(
            maxInFlight: UInt32(clamping: maxInFlight ?? 0), ackTimeoutMilliseconds: UInt32(clamping: ms ?? 0),
            maxDeliveries: UInt16(clamping: maxDeliveries ?? 0), deadLetterTopic: deadLetterTopic ?? "")
    }
}

/// Where a group reset moves the committed offset.
public enum GroupResetTarget: Sendable, Hashable {
    case earliest
    case latest
    case offset(UInt64)
    /// The first record at or after this time (nanoseconds since the Unix epoch).
    case timestamp(nanosecondsSinceEpoch: Int64)
    /// Relative to the current committed offset.
    case shift(by: Int64)

    var wire: WireResetTarget {
        switch self {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let offset): .offset(offset)
        case .timestamp(let time): .timestamp(time)
        case .shift(let by): .shift(by)
        }
    }
}

/// What a reset did (or, in a dry run, would do).
public struct GroupResetPlan: Sendable, Hashable {
    /// The committed offset before.
    public var currentOffset: UInt64
    /// The committed offset after.
    public var targetOffset: UInt64
    /// Whether it was applied.
    public var executed: Bool
}

/// A consumer group as the daemon describes it (like `kafka-consumer-groups --describe`).
public struct GroupDescription: Sendable, Hashable {
    /// One member.
    public struct Member: Sendable, Hashable {
        /// The name it gave in HELLO.
        public var clientName: String
        /// Its process id (from the kernel).
        public var pid: Int32
        /// Records it holds unacknowledged.
        public var inFlight: Int
        /// When it last joined, acked or nacked (milliseconds since the Unix epoch).
        public var lastSeenMilliseconds: Int64
    }

    public var topic: String
    public var group: String
    /// Every record below this offset is processed.
    public var committedOffset: UInt64
    /// The topic's next offset.
    public var nextOffset: UInt64
    /// Records not yet committed.
    public var lag: UInt64
    /// Records delivered and not yet acknowledged.
    public var inFlight: Int
    /// Redeliveries since the daemon started.
    public var redelivered: UInt64
    /// Records moved to the dead-letter topic since the daemon started.
    public var deadLettered: UInt64
    public var maxInFlight: Int
    public var ackTimeoutMilliseconds: Int
    public var maxDeliveries: Int
    public var deadLetterTopic: String
    public var members: [Member]

    init(_ info: WireGroupInfo) {
        topic = info.topic
        group = info.group
        committedOffset = info.committedOffset
        nextOffset = info.nextOffset
        lag = info.lag
        inFlight = Int(info.inFlight)
        redelivered = info.redelivered
        deadLettered = info.deadLettered
        maxInFlight = Int(info.settings.maxInFlight)
        ackTimeoutMilliseconds = Int(info.settings.ackTimeoutMilliseconds)
        maxDeliveries = Int(info.settings.maxDeliveries)
        deadLetterTopic = info.settings.deadLetterTopic
        members = info.members.map {
            Member(clientName: $0.clientName, pid: $0.pid, inFlight: Int($0.inFlight), lastSeenMilliseconds: $0.lastSeen)
        }
    }
}
