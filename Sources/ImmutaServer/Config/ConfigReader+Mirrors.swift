import ImmutaMirror
import ImmutaStorage
import Yams

/// The `host_id`, `mirrors` and `sources` settings (docs/MIRRORING.md).
public struct MirrorConfiguration: Sendable, Hashable {
    /// Names this host in stream names, subjects and message ids.
    public var hostID: String
    public var mirrors: [MirrorSettings] = []
    public var sources: [SourceSettings] = []

    public init(hostID: String = MirrorNames.defaultHostID()) {
        self.hostID = hostID
    }

    static let hostIDRule = "1 to 64 ASCII letters, digits, '-' or '_'"
}

extension Reader {
    func hostID(_ node: Node) throws(ConfigError) -> String {
        let id = try string(node, "host_id")
        guard id.utf8.count <= 64, MirrorNames.streamName(id) == id else {
            throw error(node, "host_id", "must be \(MirrorConfiguration.hostIDRule); got \(id)")
        }
        return id
    }

    func mirrors(_ node: Node) throws(ConfigError) -> [MirrorSettings] {
        var result: [MirrorSettings] = []
        for (index, entry) in try list(node, "mirrors").enumerated() {
            let mirror = try self.mirror(entry, setting: "mirrors[\(index + 1)]")
            guard !result.contains(where: { $0.name == mirror.name }) else { throw error(entry, "mirrors[\(index + 1)].name", "\(mirror.name) is used twice") }
            result.append(mirror)
        }
        return result
    }

    func sources(_ node: Node) throws(ConfigError) -> [SourceSettings] {
        var result: [SourceSettings] = []
        for (index, entry) in try list(node, "sources").enumerated() {
            let source = try self.source(entry, setting: "sources[\(index + 1)]")
            guard !result.contains(where: { $0.name == source.name }) else { throw error(entry, "sources[\(index + 1)].name", "\(source.name) is used twice") }
            result.append(source)
        }
        return result
    }

    private func mirror(_ node: Node, setting: String) throws(ConfigError) -> MirrorSettings {
        let fields = try entryFields(node, setting, required: ["name", "topics", "servers"])
        var mirror = MirrorSettings(
            name: try linkName(fields["name"]!, setting + ".name"), topics: try strings(fields["topics"]!, setting + ".topics"),
            endpoint: try endpoint(fields, setting))
        for (key, value) in fields {
            let name = setting + "." + key
            switch key {
            case "name", "topics", "servers", "credentials", "nkey", "tls": break
            case "stream": mirror.stream = try string(value, name)
            case "subject": mirror.subject = try string(value, name)
            case "replicas": mirror.replicas = Int(try integer(value, name, range: MirrorSettings.replicasRange))
            case "window": mirror.window = Int(try integer(value, name, range: MirrorSettings.windowRange))
            case "duplicate_window":
                mirror.duplicateWindowMilliseconds = try boundedDuration(value, name, range: MirrorSettings.duplicateWindowRange, shown: "2m to 7d")
            case "publish_timeout":
                mirror.publishTimeoutMilliseconds = try boundedDuration(value, name, range: MirrorSettings.publishTimeoutRange, shown: "100ms to 10m")
            case "max_topics": mirror.maxTopics = Int(try integer(value, name, range: MirrorSettings.maxTopicsRange))
            case "lag_warning":
                mirror.lagWarningMilliseconds = try boundedDuration(value, name, range: 1_000...604_800_000, shown: "1s to 7d")
            case "start":
                let text = try string(value, name)
                switch text {
                case "earliest": mirror.start = .earliest
                case "latest": mirror.start = .latest
                default:
                    guard let offset = UInt64(text) else { throw error(value, name, "must be earliest, latest or an offset; got \(text)") }
                    mirror.start = .offset(offset)
                }
            default:
                throw error(
                    value, name,
                    "is not a mirror setting; known: name, topics, servers, credentials, nkey, tls, stream, subject, replicas, window, duplicate_window, publish_timeout, lag_warning, start, max_topics"
                )
            }
        }
        for pattern in mirror.topics where pattern.isEmpty || pattern.contains("/") {
            throw error(fields["topics"]!, setting + ".topics", "must be topic names or patterns with *; got \"\(pattern)\"")
        }
        return mirror
    }

    private func source(_ node: Node, setting: String) throws(ConfigError) -> SourceSettings {
        let fields = try entryFields(node, setting, required: ["name", "servers", "stream", "topic"])
        let topic = try string(fields["topic"]!, setting + ".topic")
        do { try SafeName.validate(topic) } catch { throw self.error(fields["topic"]!, setting + ".topic", "\(error)") }
        let stream = try string(fields["stream"]!, setting + ".stream")
        guard MirrorNames.streamName(stream) == stream else {
            throw error(fields["stream"]!, setting + ".stream", "must be ASCII letters, digits, '-' or '_' (a JetStream stream name); got \(stream)")
        }
        var source = SourceSettings(
            name: try linkName(fields["name"]!, setting + ".name"), endpoint: try endpoint(fields, setting), stream: stream, topic: topic)
        for (key, value) in fields {
            let name = setting + "." + key
            switch key {
            case "name", "servers", "credentials", "nkey", "tls", "stream", "topic": break
            case "consumer": source.consumer = try string(value, name)
            case "filter_subject": source.filterSubject = try string(value, name)
            case "batch": source.batch = Int(try integer(value, name, range: SourceSettings.batchRange))
            case "ack_wait": source.ackWaitMilliseconds = try boundedDuration(value, name, range: SourceSettings.ackWaitRange, shown: "1s to 1h")
            default:
                throw error(
                    value, name, "is not a source setting; known: name, servers, credentials, nkey, tls, stream, consumer, filter_subject, topic, batch, ack_wait")
            }
        }
        return source
    }
}
