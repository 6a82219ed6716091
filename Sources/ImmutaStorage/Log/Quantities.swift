/// The syntax of sizes and durations in topic settings, shared by immutactl's options and
/// immutad's configuration file so that `64MiB` or `7d` mean the same everywhere.
public enum Quantities {
    /// Parses a byte count: plain bytes (`4096`), a binary suffix, `K`/`KiB` (1024), `M`/`MiB`
    /// (1024²), `G`/`GiB` (1024³) or `T`/`TiB` (1024⁴), or a decimal one, `KB` (1000), `MB`
    /// (1000²), `GB` (1000³) or `TB` (1000⁴); case-insensitive, e.g. `64MiB`, `512k`, `1GB`.
    public static func bytes(_ text: String) -> UInt64? {
        // Longest suffixes first: `gib` before `b`, `gb` before `b`.
        let units: [(String, UInt64)] = [
            ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
            ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
            ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("t", 1 << 40), ("b", 1),
        ]
        let lower = text.lowercased()
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            return scaled(String(lower.dropLast(suffix.count)), by: factor)
        }
        return scaled(lower, by: 1)
    }

    /// Parses a duration: a whole number followed by `ms`, `s`, `m`, `h` or `d`, e.g. `500ms`,
    /// `90s`, `15m`, `12h`, `7d`. Returns milliseconds.
    public static func milliseconds(_ text: String) -> Int64? {
        let units: [(String, UInt64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let lower = text.lowercased()
        for (suffix, factor) in units where lower.hasSuffix(suffix) {
            guard let value = scaled(String(lower.dropLast(suffix.count)), by: factor), value <= UInt64(Int64.max)
            else {
                return nil
            }
            return Int64(value)
        }
        return nil
    }

    /// What is wrong with a duration that ``milliseconds(_:)`` refused, for an error message:
    /// a bare number is missing its unit, which people forget more than anything else.
    public static func durationProblem(_ text: String) -> String {
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return "\(text) has no unit; write it with ms, s, m, h or d (\(text)s, \(text)m, \(text)h)"
        }
        return "\(text) is not a whole number with ms, s, m, h or d (500ms, 90s, 15m, 12h, 7d)"
    }

    private static func scaled(_ digits: String, by factor: UInt64) -> UInt64? {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt64(digits) else {
            return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}
