/// Parsing of the sizes and durations users type on the command line.
enum Quantities {
    /// Parses a byte count: plain bytes (`4096`) or with a binary suffix, `K`/`KiB` (1024),
    /// `M`/`MiB` (1024²) or `G`/`GiB` (1024³), case-insensitive, e.g. `64MiB`, `512k`, `1G`.
    static func bytes(_ text: String) -> UInt64? {
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
    static func milliseconds(_ text: String) -> Int64? {
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

    /// `12.3 MiB`-style rendering of a byte count, for messages.
    static func describe(bytes: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) \(units[unit])" : "\(rounded) \(units[unit])"
    }

    /// `7d`-style rendering of milliseconds, in the largest unit that divides it.
    static func describe(milliseconds: Int64) -> String {
        for (unit, factor) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds % factor == 0 {
            return "\(milliseconds / factor)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
