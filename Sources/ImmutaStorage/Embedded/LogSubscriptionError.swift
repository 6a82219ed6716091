/// Why a ``LogSubscription`` could not start or could not go on. A struct with an extensible
/// ``Code`` rather than a public enum, so that new reasons do not break callers' switches.
public struct LogSubscriptionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        /// The requested start offset lies outside the log: below its earliest retained record or
        /// past the next record to be appended.
        public static let startOutOfRange = Code(name: "start_out_of_range")
        /// Retention deleted records the subscription had not read yet (the daemon's subscriptions
        /// end with `offset_out_of_range` in the same case).
        public static let fellBehindRetention = Code(name: "fell_behind_retention")

        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// How the log is named in messages, for example `log /var/lib/app/events`.
    public let log: String
    /// The offset asked for: the requested start, or the record the subscription wanted next.
    public let offset: UInt64
    /// The earliest retained offset when it failed.
    public let earliestOffset: UInt64
    /// The next offset to be appended when it failed.
    public let nextOffset: UInt64

    public var description: String {
        let held =
            earliestOffset == nextOffset
            ? "holds no records"
            : "holds offsets \(earliestOffset) to \(nextOffset - 1)"
        switch code {
        case .fellBehindRetention:
            return "\(log): the subscription fell behind retention: it wanted offset \(offset) next, but the log now "
                + "\(held); subscribe again from .earliest to go on, accepting the gap, or keep more with a larger retention"
        default:
            return "\(log): cannot start a subscription at offset \(offset): the log \(held); a subscription may start "
                + "at any offset from \(earliestOffset) to \(nextOffset) (\(nextOffset) is the next record to be appended)"
        }
    }
}
