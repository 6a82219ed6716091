#if canImport(Glibc)
import Glibc
#endif

/// The names a mirror derives from its templates, and the rules JetStream sets for them.
public enum MirrorNames {
    /// Fills `{host}`, `{topic}` and `{name}` into a template.
    public static func expand(_ template: String, host: String, topic: String = "", name: String = "") -> String {
        template.replacingOccurrences("{host}", with: host).replacingOccurrences("{topic}", with: topic)
            .replacingOccurrences("{name}", with: name)
    }

    /// A stream or durable consumer name: JetStream refuses `.`, `*`, `>`, `/`, `\` and white
    /// space in them (they become subject tokens), so anything but ASCII letters, digits, `-` and
    /// `_` becomes `_`.
    public static func streamName(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { scalar in
                    scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_")
                        ? scalar : "_"
                }))
    }

    /// Whether `topic` matches a `topics:` entry: an exact name, or a pattern with `*` wildcards
    /// (fnmatch(3), so `?` and `[…]` work too; topic names hold no `/`).
    public static func matches(_ topic: String, pattern: String) -> Bool {
        fnmatch(pattern, topic, 0) == 0
    }

    /// The host's default id: the first 12 hex digits of /etc/machine-id, stable across renames
    /// and reinstalls of immutad (its stream names and message ids are built on it); the host name
    /// when there is no machine id.
    public static func defaultHostID() -> String {
        if let text = try? readSmallFile("/etc/machine-id") {
            let id = text.trimmingWhitespace()
            if id.count >= 12 { return String(id.prefix(12)) }
        }
        var buffer = [UInt8](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let name = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        return name.isEmpty ? "localhost" : streamName(name)
    }

    /// The message id of a topic's record: `<host>/<topic>/<offset>`. Topic names never hold `/`.
    public static func messageID(host: String, topic: String, offset: UInt64) -> String {
        "\(host)/\(topic)/\(offset)"
    }

    /// The offset in a message id of this host and topic, or nil when the id is someone else's.
    public static func offset(inMessageID id: String, host: String, topic: String) -> UInt64? {
        let prefix = "\(host)/\(topic)/"
        guard id.hasPrefix(prefix) else { return nil }
        return UInt64(id.dropFirst(prefix.count))
    }

    static func readSmallFile(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw MirrorError.io("cannot open \(path)") }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let read = fread(&buffer, 1, buffer.count - 1, file)
        return String(decoding: buffer[0..<read].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// Foundation's replacingOccurrences, without Foundation (this module does not otherwise need it).
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }

    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
