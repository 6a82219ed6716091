import ImmutaStorage

/// Every resource a client can make the daemon spend has a bound here, with a default a 1 GiB host
/// can live with and a key in immuta.conf (docs/OPERATIONS.md lists them). A client that reaches
/// one gets an error code of its own and a message naming the key and its value.
public struct ServerLimits: Sendable, Hashable {
    /// `max_connections`: connections served at once.
    public var maxConnections = 1024
    /// `max_connections_per_uid`: connections one peer uid may hold at once.
    public var maxConnectionsPerUID = 256
    /// `max_requests_in_flight`: requests of one connection accepted but not yet answered (waiting
    /// FETCHes, PRODUCEs waiting for their fsync, requests queued behind a full socket).
    public var maxRequestsInFlight = 1024
    /// `max_queued_reply_bytes`: replies the daemon queues for one connection before it stops
    /// producing more for it (the socket's write-buffer high-water mark). A client that never
    /// reads holds about twice this; the default keeps 1,024 such clients within 512 MiB.
    public var maxQueuedReplyBytes = 256 << 10
    /// `max_subscriptions_per_connection`.
    public var maxSubscriptionsPerConnection = 256
    /// `max_topics`: topics in the data directory.
    public var maxTopics = 1024
    /// `max_groups_per_topic`: consumer groups on one topic.
    public var maxGroupsPerTopic = 64
    /// `max_producers_per_topic` and `producer_expiry`: idempotent producers one topic remembers
    /// (16 batches each), and how long an idle one is remembered (Kafka forgets a producer id after
    /// a day idle too).
    public var producers = ProducerLimits()
    /// `min_segment_bytes`: the smallest segment size a client may ask for. Tiny segments make a
    /// file pair per few records.
    public var minSegmentBytes: UInt64 = 64 << 10
    /// `max_segment_bytes`: the largest segment size a client may ask for.
    public var maxSegmentBytes: UInt64 = 1 << 30
    /// `max_open_segment_files`: segment files (data and index) kept open at once.
    public var maxOpenSegmentFiles = 1024
    /// `handshake_timeout`: how long a new connection has to send HELLO, in milliseconds.
    public var handshakeTimeoutMilliseconds: Int64 = 10_000
    /// `idle_timeout`: how long a connection may stay silent, in milliseconds (nil: forever). A
    /// connection with a subscription, a group membership or a request in flight is never idle.
    public var idleTimeoutMilliseconds: Int64? = 600_000

    /// The defaults.
    public init() {}

    /// The allowed range of each integer key, shared by the configuration file and its docs.
    public static let ranges: [String: ClosedRange<Int64>] = [
        "max_connections": 1...1_000_000,
        "max_connections_per_uid": 1...1_000_000,
        "max_requests_in_flight": 1...1_000_000,
        "max_subscriptions_per_connection": 1...65_536,
        "max_topics": 1...1_000_000,
        "max_groups_per_topic": 1...1_000_000,
        "max_producers_per_topic": 1...1_000_000,
        "max_open_segment_files": 16...1_000_000,
    ]

    /// The sizes allowed for `max_queued_reply_bytes`.
    public static let queuedReplyBytesRange: ClosedRange<UInt64> = (64 << 10)...(1 << 30)
    /// The durations allowed for `producer_expiry`, in milliseconds: a minute to a year.
    public static let producerExpiryRange: ClosedRange<Int64> = 60_000...31_536_000_000
    /// The durations allowed for `handshake_timeout` and `idle_timeout`, in milliseconds.
    public static let timeoutRange: ClosedRange<Int64> = 100...86_400_000
}
