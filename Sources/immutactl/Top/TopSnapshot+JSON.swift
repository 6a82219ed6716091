extension TopSnapshot {
    /// The snapshot as `top --json` prints it: the daemon's figures under `daemon` (null without
    /// an access grant), topics by name, groups by topic and group.
    var json: JSON {
        let daemonJSON = daemon.map { daemon in
            JSON.object(
                daemon.json + [
                    ("bytes_in_per_sec", .int(daemon.bytesInPerSecond)), ("bytes_out_per_sec", .int(daemon.bytesOutPerSecond)),
                    ("subscriptions", .int(daemon.stats["subscriptions"])),
                ])
        }
        let milliseconds = interval.components.seconds * 1000 + interval.components.attoseconds / 1_000_000_000_000_000
        return .object([
            ("server", .string(server)), ("socket", .string(socket)), ("interval_ms", .int(milliseconds)),
            ("daemon", daemonJSON ?? .null),
            ("topics", .array(topics.map(\.json))), ("groups", .array(groups.map(\.json))),
        ])
    }
}

extension TopSnapshot.TopicRow {
    var json: JSON {
        .object([
            ("name", .string(name)), ("records_in_per_sec", .int(recordsInPerSecond)), ("records", .uint(records)),
            ("bytes", .uint(bytes)), ("next_offset", .uint(nextOffset)), ("groups", .int(Int64(groups))),
        ])
    }
}

extension TopSnapshot.GroupRow {
    var json: JSON {
        .object([
            ("topic", .string(topic)), ("group", .string(group)), ("acked_per_sec", .int(ackedPerSecond)),
            ("committed_offset", .uint(committedOffset)), ("next_offset", .uint(nextOffset)), ("lag", .uint(lag)),
            ("in_flight", .int(Int64(inFlight))), ("members", .int(Int64(members))), ("redelivered", .uint(redelivered)),
            ("dead_lettered", .uint(deadLettered)),
        ])
    }
}
