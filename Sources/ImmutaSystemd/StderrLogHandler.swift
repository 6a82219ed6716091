import Glibc
import Logging

/// A `LogHandler` that writes one plain line per statement to standard error, for `immutad` run from a
/// shell or a container:
///
/// ```
/// 2026-11-25T12:00:00.123Z info  immutad: topic created topic=orders partitions=1
/// ```
///
/// The time is UTC with milliseconds, the level is padded to five columns, metadata follows the message as
/// `key=value` sorted by key, and values with spaces, quotes or `=` are quoted. Each line is written with a
/// single write(2), so lines from concurrent tasks do not interleave.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// The label printed before the message: the `Logger`'s label.
    public let label: String

    /// Creates a handler; `LoggingSystem.bootstrap` calls this with each `Logger`'s label.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = LogRecord.mergedMetadata(
            base: metadata,
            provider: metadataProvider,
            explicit: event.metadata,
            error: event.error
        )
        Self.write(
            Self.line(
                time: Self.now(),
                level: event.level,
                label: label,
                message: "\(event.message)",
                metadata: merged
            )
        )
    }

    /// Formats one line, newline included. `time` is seconds and nanoseconds since the epoch.
    package static func line(
        time: (seconds: Int, nanoseconds: Int),
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var line = timestamp(seconds: time.seconds, nanoseconds: time.nanoseconds)
        line += " " + level.rawValue + String(repeating: " ", count: max(0, 5 - level.rawValue.count))
        line += " " + label + ": " + message
        for key in metadata.keys.sorted() {
            line += " " + key + "=" + quotedIfNeeded("\(metadata[key]!)")
        }
        return line + "\n"
    }

    /// `2026-11-25T12:00:00.123Z`: RFC 3339 in UTC with milliseconds.
    package static func timestamp(seconds: Int, nanoseconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return padded(Int(parts.tm_year) + 1900, 4) + "-" + padded(Int(parts.tm_mon) + 1, 2) + "-"
            + padded(Int(parts.tm_mday), 2) + "T" + padded(Int(parts.tm_hour), 2) + ":" + padded(Int(parts.tm_min), 2)
            + ":" + padded(Int(parts.tm_sec), 2) + "." + padded(nanoseconds / 1_000_000, 3) + "Z"
    }

    /// Writes a whole line to file descriptor 2, retrying after short writes and EINTR.
    static func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    static func now() -> (seconds: Int, nanoseconds: Int) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return (now.tv_sec, now.tv_nsec)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        return needsQuotes ? value.debugDescription : value
    }
}
