import ImmutaProtocol
import ImmutaStorage

extension ServerLimits {
    /// Refuses a new topic beyond `max_topics`, or with a segment size outside
    /// `min_segment_bytes`…`max_segment_bytes`.
    func checkNewTopic(_ configuration: RecordLogConfiguration, topicCount: Int) throws {
        guard topicCount < maxTopics else {
            throw ProtocolError(
                .tooManyTopics,
                "the server already holds \(topicCount) topics, the limit max_topics = \(maxTopics); delete unused topics or raise the limit")
        }
        try checkSegmentBytes(configuration.segmentBytes)
    }

    /// Refuses a segment size outside `min_segment_bytes`…`max_segment_bytes`: tiny segments
    /// make a file per few records, and each costs descriptors and directory entries.
    func checkSegmentBytes(_ size: UInt64) throws {
        guard size >= minSegmentBytes && size <= maxSegmentBytes else {
            throw ProtocolError(
                .segmentSizeOutOfRange,
                "segment size \(size) is outside the server's limits min_segment_bytes = \(minSegmentBytes) and max_segment_bytes = \(maxSegmentBytes)")
        }
    }

    /// Refuses a new group on a topic that has `max_groups_per_topic` already.
    func checkNewGroup(topic: String, groupCount: Int) throws {
        guard groupCount < maxGroupsPerTopic else {
            throw ProtocolError(
                .tooManyGroups,
                "topic \(topic) already has \(groupCount) consumer groups, the limit max_groups_per_topic = \(maxGroupsPerTopic); delete unused groups or raise the limit")
        }
    }
}
