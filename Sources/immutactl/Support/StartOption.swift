import ArgumentParser
import Immuta

/// `--from earliest|latest|OFFSET|TIMESTAMP`.
enum StartOption {
    static func parse(_ argument: String) throws -> StartPosition {
        switch argument {
        case "earliest": return .earliest
        case "latest": return .latest
        default:
            if let offset = UInt64(argument) { return .offset(offset) }
            if let time = RFC3339.parse(argument) { return .timestamp(nanosecondsSinceEpoch: time) }
            throw ValidationError(
                "use earliest, latest, an offset (42) or an RFC 3339 time with its zone (2026-11-25T12:00:00Z, "
                    + "2026-11-25T13:00:00.250+01:00)")
        }
    }
}
