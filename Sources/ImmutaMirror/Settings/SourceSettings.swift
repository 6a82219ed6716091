/// One `sources:` entry: a durable JetStream consumer whose messages are appended to a local topic.
public struct SourceSettings: Sendable, Hashable {
    /// The source's name: what `immutactl mirror` and the state directory call it.
    public var name: String
    public var endpoint: NatsEndpoint
    /// The stream to read.
    public var stream: String
    /// The durable consumer's name (created when missing); `{host}` and `{name}` are replaced.
    public var consumer = "immuta_{host}_{name}"
    /// Only messages on this subject (wildcards allowed), when set.
    public var filterSubject: String?
    /// The local topic the messages are appended to (created with the defaults when missing).
    public var topic: String
    /// Messages fetched, appended and acknowledged together, at most.
    public var batch = 256
    /// How long JetStream waits for an acknowledgement before it redelivers (milliseconds).
    public var ackWaitMilliseconds: Int64 = 30_000

    public static let batchRange: ClosedRange<Int64> = 1...10_000
    public static let ackWaitRange: ClosedRange<Int64> = 1_000...3_600_000

    public init(name: String, endpoint: NatsEndpoint, stream: String, topic: String) {
        self.name = name
        self.endpoint = endpoint
        self.stream = stream
        self.topic = topic
    }
}
