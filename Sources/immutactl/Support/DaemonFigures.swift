import Foundation
import Immuta
import ImmutaStorage

/// What `status` and `top` show of the daemon: its STATS, with the rates between two of them.
struct DaemonFigures {
    var stats: [String: Int64]
    var recordsInPerSecond: Int64
    var recordsOutPerSecond: Int64
    var bytesInPerSecond: Int64
    var bytesOutPerSecond: Int64

    /// A write stuck longer than this makes the daemon unhealthy (exit 1).
    static let stuckWriteMilliseconds: Int64 = 10_000
    static let sampleInterval = Duration.milliseconds(500)

    /// Nil when the user may not read the daemon's figures (they need an access grant).
    static func sample(_ client: ImmutaClient) async throws -> DaemonFigures? {
        let first = try await client.stats()
        guard first["topics"] != nil else { return nil }
        let start = ContinuousClock.now
        try await Task.sleep(for: sampleInterval)
        return DaemonFigures(from: first, to: try await client.stats(), over: ContinuousClock.now - start)
    }

    /// The figures of `second`, with rates from the counters' growth since `first`, `elapsed`
    /// earlier. Nil when STATS left out the figures (a user without any access grant gets only
    /// the uptime and pid).
    init?(from first: [String: Int64], to second: [String: Int64], over elapsed: Duration) {
        guard second["topics"] != nil else { return nil }
        func rate(_ name: String) -> Int64 {
            perSecond(second[name, default: 0] - first[name, default: 0], over: elapsed)
        }
        stats = second
        recordsInPerSecond = rate("records_produced")
        recordsOutPerSecond = rate("records_delivered")
        bytesInPerSecond = rate("bytes_produced")
        bytesOutPerSecond = rate("bytes_delivered")
    }

    var pid: Int64 { stats["pid", default: 0] }
    var healthy: Bool { stats["longest_append_ms", default: 0] < Self.stuckWriteMilliseconds }

    var uptime: String {
        let seconds = stats["uptime_ms", default: 0] / 1000
        let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60)
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return minutes > 0 ? "\(minutes)m \(seconds % 60)s" : "\(seconds)s"
    }

    var lines: [String] {
        var lines = [
            "topics:      \(stats["topics", default: 0]), groups \(stats["groups", default: 0]), connections \(stats["connections", default: 0])",
            "records/s:   in \(recordsInPerSecond), out \(recordsOutPerSecond)",
        ]
        var disk = "disk:        \(Quantities.describe(bytes: UInt64(max(0, stats["disk_used_bytes", default: 0])))) used by topics"
        if let free = stats["disk_free_bytes"] { disk += ", \(Quantities.describe(bytes: UInt64(max(0, free)))) free" }
        lines.append(disk)
        let stuck = stats["longest_append_ms", default: 0]
        lines.append(
            healthy ? "health:      ok" : "health:      a write has been stuck for \(stuck / 1000) s (a stalled disk?)")
        return lines
    }

    var json: [(String, JSON)] {
        [
            ("pid", .int(pid)), ("uptime_ms", .int(stats["uptime_ms", default: 0])), ("topics", .int(stats["topics", default: 0])),
            ("groups", .int(stats["groups", default: 0])), ("connection_count", .int(stats["connections", default: 0])),
            ("records_in_per_sec", .int(recordsInPerSecond)), ("records_out_per_sec", .int(recordsOutPerSecond)),
            ("disk_used_bytes", .int(stats["disk_used_bytes", default: 0])),
            ("disk_free_bytes", stats["disk_free_bytes"].map(JSON.int) ?? .null),
            ("longest_append_ms", .int(stats["longest_append_ms", default: 0])),
        ]
    }
}

/// `growth` per second over `elapsed`, rounded; 0 for a counter that went back (a restarted
/// daemon) or no time at all.
func perSecond(_ growth: Int64, over elapsed: Duration) -> Int64 {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    guard growth > 0, seconds > 0 else { return 0 }
    let rate = (Double(growth) / seconds).rounded()
    return rate < Double(Int64.max) ? Int64(rate) : .max
}
