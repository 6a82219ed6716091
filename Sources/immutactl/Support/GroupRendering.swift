import Immuta

extension GroupDescription {
    /// The group as the JSON object `group describe --json` and `group list --json` print.
    var json: JSON {
        .object([
            ("topic", .string(topic)),
            ("group", .string(group)),
            ("committed_offset", .uint(committedOffset)),
            ("next_offset", .uint(nextOffset)),
            ("lag", .uint(lag)),
            ("in_flight", .int(Int64(inFlight))),
            ("redelivered", .uint(redelivered)),
            ("dead_lettered", .uint(deadLettered)),
            ("max_in_flight", .int(Int64(maxInFlight))),
            ("ack_timeout_ms", .int(Int64(ackTimeoutMilliseconds))),
            ("max_deliveries", .int(Int64(maxDeliveries))),
            ("dead_letter_topic", .string(deadLetterTopic)),
            (
                "members",
                .array(
                    members.map {
                        .object([
                            ("client", .string($0.clientName)), ("pid", .int(Int64($0.pid))),
                            ("in_flight", .int(Int64($0.inFlight))), ("last_seen", .string($0.lastSeen)),
                        ])
                    })
            ),
        ])
    }
}

extension GroupDescription.Member {
    /// When the member last joined, acked or nacked, RFC 3339 UTC.
    var lastSeen: String { RFC3339.format(nanoseconds: lastSeenMilliseconds &* 1_000_000) }
}
