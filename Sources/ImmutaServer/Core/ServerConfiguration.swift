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
    /// What one client, and all of them together, may make the daemon spend.
    public var limits: ServerLimits
    /// Who may do what (`access` in the configuration file): nobody but root and the daemon's
    /// own user unless granted.
    public var access = AccessPolicy()
    /// The group given the socket immutad creates itself (`socket_group`), by name or id; nil
    /// keeps the daemon's own group.
    public var socketGroup: String?
    /// How often retention runs, in milliseconds.
    public var retentionCheckMilliseconds: Int64
    /// Event loop threads (0: one per core).
    public var eventLoopThreads: Int
    /// Threads that run requests and group deliveries, off the event loops (`io_threads`). A
    /// request blocked on a stalled disk holds one; the others keep serving.
    public var ioThreads = 32

    /// The default frame limit: a 16 MiB batch plus room for headers.
    public static let defaultMaxFrameLength = (16 << 20) + (64 << 10)

    /// Creates a configuration with defaults for everything but the paths.
    public init(
        dataDirectory: String,
        socketPath: String,
        socketMode: UInt16 = 0o660,
        maxFrameLength: Int = ServerConfiguration.defaultMaxFrameLength,
        topicDefaults: RecordLogConfiguration = RecordLogConfiguration(),
        limits: ServerLimits = ServerLimits(),
        retentionCheckMilliseconds: Int64 = 60_000,
        eventLoopThreads: Int = 0
    ) {
        self.dataDirectory = dataDirectory
        self.socketPath = socketPath
        self.socketMode = socketMode
        self.maxFrameLength = maxFrameLength
        self.topicDefaults = topicDefaults
        self.limits = limits
        self.retentionCheckMilliseconds = retentionCheckMilliseconds
        self.eventLoopThreads = eventLoopThreads
    }

    /// What is inconsistent between the settings, or nil. A record of the default maximum size
    /// must fit in a frame, or every all-default CREATE_TOPIC would be refused; the default
    /// segment size must lie within the segment limits for the same reason.
    public func inconsistency() -> String? {
        let room = UInt64(maxFrameLength) - UInt64(Self.frameOverhead)
        if topicDefaults.maxRecordBytes > room {
            return "topic_defaults.max_record_bytes (\(topicDefaults.maxRecordBytes)) must fit in max_frame_bytes (\(maxFrameLength)) less \(Self.frameOverhead) bytes of headers: at most \(room)"
        }
        if limits.minSegmentBytes > limits.maxSegmentBytes {
            return "min_segment_bytes (\(limits.minSegmentBytes)) must not exceed max_segment_bytes (\(limits.maxSegmentBytes))"
        }
        if !(limits.minSegmentBytes...limits.maxSegmentBytes).contains(topicDefaults.segmentBytes) {
            return "topic_defaults.segment_bytes (\(topicDefaults.segmentBytes)) must lie within min_segment_bytes (\(limits.minSegmentBytes)) and max_segment_bytes (\(limits.maxSegmentBytes))"
        }
        return nil
    }

    /// Room a PRODUCE frame needs besides its records (header, topic name, fields), rounded up.
    public static let frameOverhead = 4096
}
