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
