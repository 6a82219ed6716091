/// Errors of mirrors and sources that are not the NATS client's own (``NatsError``).
public enum MirrorError: Error, Sendable, CustomStringConvertible {
    case io(String)
    /// The stream's newest message was not written by this mirror: another writer, or a stream
    /// name that two topics or hosts share.
    case foreignWriter(stream: String, messageID: String)
    /// Two mirrored topics map to the same stream name.
    case streamClash(stream: String, topics: [String])
    case topic(String)

    public var description: String {
        switch self {
        case .io(let text): text
        case .foreignWriter(let stream, let id):
            "stream \(stream)'s newest message has id \"\(id)\", which this mirror did not write: another writer publishes to it (give each topic and host a stream of its own; see docs/MIRRORING.md)"
        case .streamClash(let stream, let topics):
            "topics \(topics.joined(separator: " and ")) map to the same stream \(stream); change the mirror's stream template"
        case .topic(let text): text
        }
    }
}
