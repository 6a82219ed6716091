import ImmutaStorage

/// Everything immutad needs to run, gathered from flags and the configuration file.
public struct ServerConfiguration: Sendable, Hashable {
    /// Where topics (and group offsets) live.
    public var dataDirectory: String
    /// The Unix socket path to bind when no socket is inherited from systemd.
    public var socketPath: String
    /// The mode of a socket file immutad creates itself.
    public var socketMode: UInt16
    /// The largest frame length field accepted, in bytes.
    public var maxFrameLength: Int
    /// Settings for topics created without their own.
    public var topicDefaults: RecordLogConfiguration
    /// Subscriptions one connection may hold.
    public var maxSubscriptionsPerConnection: Int
    /// Connections served at once; more are closed on accept.
    public var maxConnections: Int
    /// How often retention runs, in milliseconds.
    public var retentionCheckMilliseconds: Int64
    /// Event loop threads (0: one per core).
    public var eventLoopThreads: Int

    /// The default frame limit: a 16 MiB batch plus room for headers.
    public static let defaultMaxFrameLength = (16 << 20) + (64 << 10)

    /// Creates a configuration with defaults for everything but the paths.
    public init(
        dataDirectory: String,
        socketPath: String,
        socketMode: UInt16 = 0o660,
        maxFrameLength: Int = ServerConfiguration.defaultMaxFrameLength,
        topicDefaults: RecordLogConfiguration = RecordLogConfiguration(),
        maxSubscriptionsPerConnection: Int = 256,
        maxConnections: Int = 4096,
        retentionCheckMilliseconds: Int64 = 60_000,
        eventLoopThreads: Int = 0
    ) {
        self.dataDirectory = dataDirectory
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.maxFrameLength = maxFrameLength
        self.topicDefaults = topicDefaults
        self.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection
        self.maxConnections = maxConnections
        self.retentionCheckMilliseconds = retentionCheckMilliseconds
        self.eventLoopThreads = eventLoopThreads
    }
}
