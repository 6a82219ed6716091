import Immuta

/// One reading of everything `top` shows: the daemon's counters, its topics and its groups, as
/// the daemon reports them to anyone (STATS, LIST_TOPICS, GROUP_LIST; each filtered by the access
/// rules). Rates come from the difference between two readings.
struct TopSample: Sendable {
    var taken: ContinuousClock.Instant
    var stats: [String: Int64]
    var topics: [TopicDescription]
    var groups: [GroupDescription]

    static func read(_ client: ImmutaClient) async throws -> TopSample {
        let stats = try await client.stats()
        let topics = try await client.listTopics()
        let groups = try await client.listGroups()
        return TopSample(taken: .now, stats: stats, topics: topics, groups: groups)
    }
}
