import Immuta

/// What `top` shows at one moment: the latest sample, with rates over the time since the one
/// before it.
struct TopSnapshot {
    struct TopicRow {
        var name: String
        /// Records appended per second (the growth of the topic's next offset).
        var recordsInPerSecond: Int64
        var records: UInt64
        var bytes: UInt64
        var nextOffset: UInt64
        var groups: Int
    }

    struct GroupRow {
        var topic: String
        var group: String
        /// Records acknowledged per second (the growth of the committed offset).
        var ackedPerSecond: Int64
        var committedOffset: UInt64
        var nextOffset: UInt64
        var lag: UInt64
        var inFlight: Int
        var members: Int
        var redelivered: UInt64
        var deadLettered: UInt64
    }

    var server: String
    var socket: String
    var interval: Duration
    /// Nil when the daemon's own figures need an access grant this user lacks.
    var daemon: DaemonFigures?
    /// By name.
    var topics: [TopicRow]
    /// By topic, then group.
    var groups: [GroupRow]

    init(server: String, socket: String, from previous: TopSample, to current: TopSample) {
        self.server = server
        self.socket = socket
        interval = current.taken - previous.taken
        daemon = DaemonFigures(from: previous.stats, to: current.stats, over: interval)
        let earlierTopics = Dictionary(previous.topics.map { ($0.name, $0.nextOffset) }, uniquingKeysWith: { $1 })
        let groupsPerTopic = Dictionary(grouping: current.groups, by: \.topic).mapValues(\.count)
        topics = current.topics.sorted { $0.name < $1.name }.map { [interval] topic in
            TopicRow(
                name: topic.name, recordsInPerSecond: Self.rate(from: earlierTopics[topic.name], to: topic.nextOffset, over: interval),
                records: topic.records, bytes: topic.bytes, nextOffset: topic.nextOffset, groups: groupsPerTopic[topic.name, default: 0])
        }
        let earlierGroups = Dictionary(
            previous.groups.map { (GroupKey(topic: $0.topic, group: $0.group), $0.committedOffset) }, uniquingKeysWith: { $1 })
        groups = current.groups.sorted { ($0.topic, $0.group) < ($1.topic, $1.group) }.map { [interval] group in
            GroupRow(
                topic: group.topic, group: group.group,
                ackedPerSecond: Self.rate(
                    from: earlierGroups[GroupKey(topic: group.topic, group: group.group)], to: group.committedOffset, over: interval),
                committedOffset: group.committedOffset, nextOffset: group.nextOffset, lag: group.lag, inFlight: group.inFlight,
                members: group.members.count, redelivered: group.redelivered, deadLettered: group.deadLettered)
        }
    }

    /// How fast an offset grew. A topic or group new since the last sample gets 0 rather than a
    /// guess, and so does an offset that moved back (a group reset, a topic deleted and created
    /// again).
    private static func rate(from earlier: UInt64?, to now: UInt64, over interval: Duration) -> Int64 {
        guard let earlier, now > earlier else { return 0 }
        return perSecond(Int64(clamping: now - earlier), over: interval)
    }

    private struct GroupKey: Hashable {
        var topic: String
        var group: String
    }
}
