import CSystemd
import Glibc
import Logging

/// A `LogHandler` that writes structured entries to the systemd journal through its native protocol
/// (sd_journal_sendv), so that `journalctl -u immuta TOPIC=orders` finds every line about a topic.
///
/// Each entry has these fields:
///
/// | field | value |
/// | --- | --- |
/// | `PRIORITY` | the level as a syslog priority: trace and debug 7, info 6, notice 5, warning 4, error 3, critical 2 |
/// | `MESSAGE` | the message |
/// | `CODE_FILE`, `CODE_LINE`, `CODE_FUNC` | where the statement is |
/// | `SYSLOG_IDENTIFIER` | `immutad`, or the identifier given at creation |
/// | one per metadata key | the key as a journal field name (see ``journalFieldName(forMetadataKey:)``) |
///
/// So `topic`, `group`, `client_pid` and `client` become `TOPIC`, `GROUP`, `CLIENT_PID` and `CLIENT`.
/// When sending fails (the journal socket refuses the entry, the process ran out of descriptors) the line
/// goes to standard error instead, as ``StderrLogHandler`` writes it. When no journal runs at all
/// (/run/systemd/journal/socket is absent), libsystemd drops entries without an error, so choose this
/// handler through ``LoggingSetup``, which takes it only when standard error is the journal.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// The `Logger`'s label, used by the standard-error fallback.
    public let label: String
    /// The `SYSLOG_IDENTIFIER` of every entry, which `journalctl -t` selects by.
    public let identifier: String

    /// Creates a handler; `LoggingSystem.bootstrap` calls this with each `Logger`'s label.
    public init(
        label: String,
        identifier: String = "immutad",
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.label = label
        self.identifier = identifier
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
        let message = "\(event.message)"
        let fields = Self.journalFields(
            level: event.level,
            message: message,
            metadata: merged,
            file: event.file,
            function: event.function,
            line: event.line,
            identifier: identifier
        )
        if Self.send(fields) < 0 {
            StderrLogHandler.write(
                StderrLogHandler.line(
                    time: StderrLogHandler.now(),
                    level: event.level,
                    label: label,
                    message: message,
                    metadata: merged
                )
            )
        }
    }

    /// The fields of one entry, in the order they are sent: the handler's own fields, then the metadata
    /// sorted by key. Values may hold newlines; libsystemd then sends them in the protocol's binary form.
    package static func journalFields(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        file: String,
        function: String,
        line: UInt,
        identifier: String
    ) -> [JournalField] {
        var fields = [
            JournalField("PRIORITY", String(level.syslogPriority)),
            JournalField("MESSAGE", message),
            JournalField("CODE_FILE", file),
            JournalField("CODE_LINE", String(line)),
            JournalField("CODE_FUNC", function),
            JournalField("SYSLOG_IDENTIFIER", identifier),
        ]
        for key in metadata.keys.sorted() {
            guard let name = journalFieldName(forMetadataKey: key) else { continue }
            fields.append(JournalField(name, "\(metadata[key]!)"))
        }
        return fields
    }

    /// The journal field name for a metadata key: uppercased, with every character outside `[A-Z0-9_]`
    /// replaced by `_` (`client_pid` → `CLIENT_PID`, `request.id` → `REQUEST_ID`). Names journald would
    /// reject or that would shadow the handler's own fields get a `META_` prefix (`_secret` → `META__SECRET`,
    /// `message` → `META_MESSAGE`), and names are cut to journald's 64 characters. An empty key has no name.
    package static func journalFieldName(forMetadataKey key: String) -> String? {
        guard !key.isEmpty else { return nil }
        var name = String(
            key.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z": Character(Unicode.Scalar(scalar.value - 32)!)
                case "A"..."Z", "0"..."9", "_": Character(scalar)
                default: "_"
                }
            }
        )
        if name.first.map({ !("A"..."Z").contains($0) }) ?? true || reservedFieldNames.contains(name) {
            name = "META_" + name
        }
        return String(name.prefix(64))
    }

    /// The fields the handler sets itself, which metadata must not shadow.
    private static let reservedFieldNames: Set<String> = [
        "PRIORITY", "MESSAGE", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SYSLOG_IDENTIFIER",
    ]

    /// Sends the fields as one journal entry. Returns sd_journal_sendv's result: 0, or a negative errno.
    static func send(_ fields: [JournalField]) -> Int32 {
        // One buffer holding every "NAME=value", and one iovec per field pointing into it.
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes += field.name.utf8
            bytes.append(UInt8(ascii: "="))
            bytes += field.value.utf8
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            let vectors = ranges.map { iovec(iov_base: buffer.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            return sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }
}

/// One field of a journal entry.
package struct JournalField: Hashable, Sendable, CustomStringConvertible {
    package let name: String
    package let value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    package var description: String { "\(name)=\(value)" }
}
