import Immuta

extension TopicDescription {
    /// The topic as the JSON object `topic describe --json` and `topic list --json` print.
    var json: JSON {
        .object([
            ("name", .string(name)),
            ("durability", .string(durability)),
            ("segment_bytes", .uint(segmentBytes)),
            ("max_record_bytes", .uint(maxRecordBytes)),
            ("retention_bytes", .uint(retentionBytes)),
            ("retention_ms", .int(retentionMilliseconds)),
            ("earliest_offset", .uint(earliestOffset)),
            ("next_offset", .uint(nextOffset)),
            ("records", .uint(records)),
            ("bytes", .uint(bytes)),
            ("segments", .int(Int64(segments))),
            ("created_at", .string(RFC3339.format(nanoseconds: createdAt))),
        ])
    }
}

/// Lays out rows in columns separated by two spaces, numbers right-aligned.
func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int>) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.indices.map { column in
            let padding = String(repeating: " ", count: widths[column] - row[column].count)
            if column == row.count - 1 && !rightAligned.contains(column) { return row[column] }
            return rightAligned.contains(column) ? padding + row[column] : row[column] + padding
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
