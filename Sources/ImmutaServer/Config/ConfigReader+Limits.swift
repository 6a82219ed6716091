import ImmutaStorage
import Yams

extension ServerLimits {
    /// The configuration keys of the limits, in the order docs/OPERATIONS.md lists them.
    public static let keys = [
        "max_connections", "max_connections_per_uid", "max_requests_in_flight", "max_queued_reply_bytes",
        "max_subscriptions_per_connection", "max_topics", "max_groups_per_topic", "max_producers_per_topic",
        "producer_expiry", "min_segment_bytes",
        "max_segment_bytes", "max_open_segment_files", "handshake_timeout", "idle_timeout",
    ]
}

extension Reader {
    /// Reads one limit key, range-checked.
    func limit(_ name: String, _ value: Node, into limits: inout ServerLimits) throws(ConfigError) {
        func count() throws(ConfigError) -> Int { Int(try integer(value, name, range: ServerLimits.ranges[name]!)) }
        func timeout() throws(ConfigError) -> Int64? {
            let milliseconds = try duration(value, name)
            if let milliseconds, !ServerLimits.timeoutRange.contains(milliseconds) {
                throw error(value, name, "must be from 100ms to 24h; got \(milliseconds) ms")
            }
            return milliseconds
        }
        let segmentRange = RecordLogConfiguration.minimumSegmentBytes...RecordLogConfiguration.maximumSegmentBytes
        switch name {
        case "max_connections": limits.maxConnections = try count()
        case "max_connections_per_uid": limits.maxConnectionsPerUID = try count()
        case "max_requests_in_flight": limits.maxRequestsInFlight = try count()
        case "max_subscriptions_per_connection": limits.maxSubscriptionsPerConnection = try count()
        case "max_topics": limits.maxTopics = try count()
        case "max_groups_per_topic": limits.maxGroupsPerTopic = try count()
        case "max_open_segment_files": limits.maxOpenSegmentFiles = try count()
        case "max_producers_per_topic": limits.producers.maxProducers = try count()
        case "producer_expiry":
            guard let milliseconds = try duration(value, name), ServerLimits.producerExpiryRange.contains(milliseconds) else {
                throw error(value, name, "must be a duration from 1m to 365d")
            }
            limits.producers.idleExpiryNanoseconds = milliseconds * 1_000_000
        case "max_queued_reply_bytes":
            limits.maxQueuedReplyBytes = Int(try size(value, name, range: ServerLimits.queuedReplyBytesRange))
        case "min_segment_bytes": limits.minSegmentBytes = try size(value, name, range: segmentRange)
        case "max_segment_bytes": limits.maxSegmentBytes = try size(value, name, range: segmentRange)
        case "handshake_timeout":
            guard let milliseconds = try timeout() else { throw error(value, name, "must be a duration; `none` is not allowed") }
            limits.handshakeTimeoutMilliseconds = milliseconds
        case "idle_timeout": limits.idleTimeoutMilliseconds = try timeout()
        default: throw error(value, name, "is not a limit")
        }
    }
}
