import ImmutaProtocol

/// Who is creating a topic or group, and the per-user cap that applies (`access.limits`): the
/// new topic or group records its creator's uid, and counts against that user from then on.
struct Creator: Sendable {
    var identity: ClientIdentity
    var limits: IdentityLimits

    /// Refuses a topic beyond the creator's `max_topics`, given how many topics it owns.
    func checkNewTopic(owned: Int) throws {
        guard let limit = limits.maxTopics, owned >= limit.value else { return }
        throw ProtocolError(
            .tooManyTopics,
            "\(identity) already owns \(owned) topics, the limit \(limit.key) = \(limit.value); delete some or raise the limit")
    }

    /// Refuses a consumer group beyond the creator's `max_groups`, given how many it owns.
    func checkNewGroup(owned: Int) throws {
        guard let limit = limits.maxGroups, owned >= limit.value else { return }
        throw ProtocolError(
            .tooManyGroups,
            "\(identity) already owns \(owned) consumer groups, the limit \(limit.key) = \(limit.value); delete some or raise the limit")
    }
}
