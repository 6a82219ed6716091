import ArgumentParser
import Foundation
import Immuta
import ImmutaStorage


/// Where `consume --from` starts, as people write it: `earliest`, `latest`, an offset (`42` or
/// `@42`), the last N records (`-10`), a time ago (`1h`, `-10m`) or an RFC 3339 time.
enum StartSpec: Sendable, Hashable {
    case position(Immuta.StartPosition)
    /// The last N records before the end of the topic when the command starts.
    case last(UInt64)

    /// The position to ask the daemon for; the last N are counted back from the topic's end.
    func resolve(_ client: ImmutaClient, topic: String) async throws -> Immuta.StartPosition {
        switch self {
        case .position(let position): return position
        case .last(let count):
            let description = try await client.describeTopic(topic)
            let next = description.nextOffset
            return .offset(max(description.earliestOffset, next - min(count, next)))
        }
    }
}

enum StartOption {
    static let help =
        "earliest, latest, an offset (42 or @42), the last N records (-10), a time ago (90s, 1h, -10m, 7d) or an RFC 3339 time with its zone (2026-11-25T12:00:00Z)"

    static func parse(_ argument: String) throws -> StartSpec {
        switch argument {
        case "earliest": return .position(.earliest)
        case "latest": return .position(.latest)
        default:
            if argument.hasPrefix("-"), let count = UInt64(argument.dropFirst()) {
                guard count > 0 else { throw ValidationError("-0 records: ask for the last 1 or more (-1, -10)") }
                return .last(count)
            }
            if !argument.hasPrefix("-"), !argument.hasPrefix("+"), let offset = UInt64(argument) { return .position(.offset(offset)) }
            if argument.hasPrefix("@"), let offset = UInt64(argument.dropFirst()) { return .position(.offset(offset)) }
            if let time = timeAgo(argument) { return .position(.timestamp(nanosecondsSinceEpoch: time)) }
            if let time = RFC3339.parse(argument) { return .position(.timestamp(nanosecondsSinceEpoch: time)) }
            throw ValidationError("use \(help)")
        }
    }

    /// `1h` or `-1h`: that long before now, in nanoseconds since the epoch.
    static func timeAgo(_ text: String) -> Int64? {
        let duration = text.hasPrefix("-") ? String(text.dropFirst()) : text
        guard let milliseconds = ImmutaStorage.Quantities.milliseconds(duration) else { return nil }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        let (ago, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? nil : now - ago
    }

    /// `--until`: an RFC 3339 time or a time ago, in nanoseconds since the epoch.
    static func parseTime(_ argument: String) throws -> Int64 {
        if let time = timeAgo(argument) ?? RFC3339.parse(argument) { return time }
        throw ValidationError("use a time ago (90s, 1h, -10m) or an RFC 3339 time with its zone (2026-11-25T12:00:00Z)")
    }
}
