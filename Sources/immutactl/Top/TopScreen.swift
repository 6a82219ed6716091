import ImmutaStorage

/// Lays out a snapshot as lines of text: three lines about the daemon, then the topics (busiest
/// first) and the consumer groups (most lag first). Given a terminal's size, it fits in it: names
/// are elided and columns left out to fit the width, and rows that do not fit the height are left
/// out with a line that says how many. A pure function of its arguments, so that the snapshot
/// printed when standard output is not a terminal shows what the live screen does.
enum TopScreen {
    /// `width` and `height`: the terminal's, or nil for no limit. `hint` goes at the right of the
    /// first line when there is room (the live view's "q quits").
    static func lines(_ snapshot: TopSnapshot, width: Int?, height: Int?, hint: String? = nil) -> [String] {
        var header = daemonLines(snapshot)
        if let hint, let width, header[0].count + 2 + hint.count <= width {
            header[0] += String(repeating: " ", count: width - header[0].count - hint.count) + hint
        }
        let topics = snapshot.topics.sorted { ($1.recordsInPerSecond, $0.name) < ($0.recordsInPerSecond, $1.name) }
        let groups = snapshot.groups.sorted { ($1.lag, $0.topic, $0.group) < ($0.lag, $1.topic, $1.group) }
        // Each section takes a title line, and a blank line goes before it.
        let rowsLeft = height.map { $0 - header.count - 4 }
        let (topicRows, groupRows) = share(topics.count, groups.count, of: rowsLeft)
        let lines =
            header + [""]
            + section(
                topics.map(topicCells), shown: topicRows, header: ["TOPIC", "IN/S", "RECORDS", "SIZE", "NEXT OFFSET", "GROUPS"],
                rightAligned: [1, 2, 3, 4, 5], elidable: [0], width: width, noun: ("topic", "topics"))
            + [""]
            + section(
                groups.map(groupCells), shown: groupRows,
                header: ["TOPIC", "GROUP", "ACKED/S", "LAG", "IN-FLIGHT", "MEMBERS", "REDELIVERED"],
                rightAligned: [2, 3, 4, 5, 6], elidable: [0, 1], width: width, noun: ("consumer group", "consumer groups"))
        let clipped = width.map { width in lines.map { String($0.prefix(width)) } } ?? lines
        return height.map { Array(clipped.prefix(max(0, $0))) } ?? clipped
    }

    private static func daemonLines(_ snapshot: TopSnapshot) -> [String] {
        guard let daemon = snapshot.daemon else {
            return [snapshot.server, "(the daemon's own figures need an access grant)"]
        }
        let stats = daemon.stats
        let health = daemon.healthy ? "ok" : "a write stuck for \(stats["longest_append_ms", default: 0] / 1000) s"
        var disk = "disk \(size(stats["disk_used_bytes", default: 0])) used"
        if let free = stats["disk_free_bytes"] { disk += ", \(size(free)) free" }
        return [
            "\(snapshot.server), pid \(daemon.pid), up \(daemon.uptime), "
                + "\(plural(stats["connections", default: 0], "connection")); health \(health)",
            "records/s in \(daemon.recordsInPerSecond), out \(daemon.recordsOutPerSecond); "
                + "bytes/s in \(size(daemon.bytesInPerSecond)), out \(size(daemon.bytesOutPerSecond))",
            "\(plural(stats["topics", default: 0], "topic")), \(plural(stats["groups", default: 0], "group")); \(disk)",
        ]
    }

    private static func size(_ bytes: Int64) -> String { Quantities.describe(bytes: UInt64(max(0, bytes))) }

    private static func topicCells(_ topic: TopSnapshot.TopicRow) -> [String] {
        [
            topic.name, String(topic.recordsInPerSecond), String(topic.records), Quantities.describe(bytes: topic.bytes),
            String(topic.nextOffset), String(topic.groups),
        ]
    }

    private static func groupCells(_ group: TopSnapshot.GroupRow) -> [String] {
        [
            group.topic, group.group, String(group.ackedPerSecond), String(group.lag), String(group.inFlight),
            String(group.members), String(group.redelivered),
        ]
    }

    /// The rows each section shows when `rows` lines are left for both (nil: no limit): all of
    /// both if they fit, else each at least half, and what one leaves unused goes to the other.
    static func share(_ first: Int, _ second: Int, of rows: Int?) -> (Int, Int) {
        guard let rows, first + second > rows else { return (first, second) }
        let firstRows = max(0, min(first, max(rows - second, (rows + 1) / 2)))
        return (firstRows, max(0, min(second, rows - firstRows)))
    }

    /// A title and rows, or a line saying there are none; when only `shown` lines fit, the last
    /// one says how many rows were left out.
    private static func section(
        _ rows: [[String]], shown: Int, header: [String], rightAligned: Set<Int>, elidable: Set<Int>, width: Int?,
        noun: (one: String, many: String)
    ) -> [String] {
        if rows.isEmpty { return ["no \(noun.many)"] }
        if shown >= rows.count {
            return fittedTable(header, rows, rightAligned: rightAligned, elidable: elidable, width: width)
        }
        // One line says what was left out; a table with no row left is not worth its title.
        let rowsShown = max(0, shown - 1)
        let left = rows.count - rowsShown
        let noun = left == 1 ? noun.one : noun.many
        if rowsShown == 0 { return ["… \(left) \(noun) not shown"] }
        let table = fittedTable(header, Array(rows.prefix(rowsShown)), rightAligned: rightAligned, elidable: elidable, width: width)
        return table + ["… \(left) more \(noun) not shown (\(rows.count) in all)"]
    }
}
