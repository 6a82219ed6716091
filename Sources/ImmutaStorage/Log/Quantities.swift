/// The syntax of sizes and durations in topic settings, shared by immutactl's options and
/// immutad's configuration file so that `64MiB` or `7d` mean the same everywhere.
public enum Quantities {
    /// Parses a byte count: plain bytes (`4096`) or with a binary suffix, `K`/`KiB` (1024),
    /// `M`/`MiB` (1024²) or `G`/`GiB` (1024³), case-insensitive, e.g. `64MiB`, `512k`, `1G`.
    public static func bytes(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [
            ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30),
            ("b", 1),
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

    private static func scaled(_ digits: String, by factor: UInt64) -> UInt64? {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = UInt64(digits) else {
            return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}
