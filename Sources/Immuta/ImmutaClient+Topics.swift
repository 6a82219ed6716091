import ImmutaProtocol

extension ImmutaClient {
    /// Creates a topic.
    ///
    /// ```swift
    /// try await client.createTopic("orders", options: TopicOptions(durability: "fsync", retentionAge: .seconds(86_400)))
    /// ```
    @discardableResult
    public func createTopic(_ name: String, options: TopicOptions = TopicOptions()) async throws -> TopicDescription {
        guard case .topicInfo(let info) = try await send(.createTopic(name: name, config: options.wire)) else {
            throw unexpected("CREATE_TOPIC")
        }
        return TopicDescription(info)
    }

    /// Deletes a topic and all its records.
    public func deleteTopic(_ name: String) async throws {
        _ = try await send(.deleteTopic(name: name))
    }

    /// Every topic, by name.
    public func listTopics() async throws -> [TopicDescription] {
        guard case .topicList(let infos) = try await send(.listTopics) else { throw unexpected("LIST_TOPICS") }
        return infos.map(TopicDescription.init)
    }

    /// One topic's settings, offsets and size.
    public func describeTopic(_ name: String) async throws -> TopicDescription {
        guard case .topicInfo(let info) = try await send(.describeTopic(name: name)) else {
            throw unexpected("DESCRIBE_TOPIC")
        }
        return TopicDescription(info)
    }
}

/// Settings to change on a running topic (``ImmutaClient/configureTopic(_:_:)``); nil leaves one
/// as it is.
public struct TopicChanges: Sendable, Hashable {
    /// `none`, `fsync` or `interval:MS`.
    public var durability: String?
    public var segmentBytes: UInt64?
    public var maxRecordBytes: UInt64?
    /// `.some(nil)`: no size limit.
    public var retentionBytes: UInt64??
    /// `.some(nil)`: no age limit.
    public var retentionAge: Duration??

    public init(
        durability: String? = nil, segmentBytes: UInt64? = nil, maxRecordBytes: UInt64? = nil, retentionBytes: UInt64?? = nil,
        retentionAge: Duration?? = nil
    ) {
        self.durability = durability
        self.segmentBytes = segmentBytes
        self.maxRecordBytes = maxRecordBytes
        self.retentionBytes = retentionBytes
        self.retentionAge = retentionAge
    }

    var wire: WireTopicConfig {
        WireTopicConfig(
            segmentBytes: segmentBytes ?? 0, maxRecordBytes: maxRecordBytes ?? 0,
            retentionBytes: retentionBytes.map { $0 ?? .max } ?? 0,
            retentionMilliseconds: retentionAge.map { $0?.wholeMilliseconds ?? -1 } ?? 0,
            durability: durability ?? "")
    }
}

extension ImmutaClient {
    /// Changes settings of a running topic (admin); what is left nil stays as it is.
    @discardableResult
    public func configureTopic(_ name: String, _ changes: TopicChanges) async throws -> TopicDescription {
        guard case .topicInfo(let info) = try await send(.configureTopic(name: name, config: changes.wire)) else {
            throw unexpected("CONFIGURE_TOPIC")
        }
        return TopicDescription(info)
    }
}
