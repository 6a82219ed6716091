import ImmutaProtocol

/// A mirrored topic (topic to JetStream stream) or a source (stream to topic), as the daemon reports it.
public struct MirrorDescription: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case mirror
        case source
    }

    public var kind: Kind
    /// The configuration entry's name.
    public var name: String
    public var topic: String
    public var stream: String
    /// A mirror's subject, or a source's durable consumer.
    public var target: String
    /// connecting, running, rewinding, disconnected, paused, error or stopped.
    public var state: String
    /// A mirror's resume point (the lowest offset the stream has not acknowledged), or a source's
    /// last applied stream sequence.
    public var position: UInt64
    public var topicEnd: UInt64
    public var lagRecords: UInt64
    public var lagMilliseconds: Int64
    public var recordsPerSecond: Double
    public var records: UInt64
    public var duplicates: UInt64
    public var rewinds: UInt64
    public var lastError: String
    /// Milliseconds since the Unix epoch, 0 when there was no error.
    public var lastErrorAt: Int64

    init(_ wire: WireMirror) {
        kind = wire.isSource ? .source : .mirror
        name = wire.name
        topic = wire.topic
        stream = wire.stream
        target = wire.target
        state = wire.state
        position = wire.position
        topicEnd = wire.topicEnd
        lagRecords = wire.lagRecords
        lagMilliseconds = wire.lagMilliseconds
        recordsPerSecond = Double(wire.milliRecordsPerSecond) / 1000
        records = wire.records
        duplicates = wire.duplicates
        rewinds = wire.rewinds
        lastError = wire.lastError
        lastErrorAt = wire.lastErrorAt
    }
}

extension ImmutaClient {
    /// The daemon's mirrors and sources whose topics this connection may see.
    public func listMirrors() async throws -> [MirrorDescription] {
        guard case .mirror(.list(let list)) = try await send(.mirror(.list)) else { throw unexpected("MIRROR_LIST") }
        return list.map(MirrorDescription.init)
    }

    /// Pauses (or resumes) every topic of a mirror, or a source. Needs admin on every topic.
    public func setMirrorPaused(_ name: String, _ paused: Bool) async throws {
        guard case .ok = try await send(.mirror(.control(name: name, resume: !paused))) else { throw unexpected("MIRROR_CONTROL") }
    }
}
