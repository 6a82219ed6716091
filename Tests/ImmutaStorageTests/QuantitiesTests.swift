import ImmutaStorage
import Testing

/// Sizes and durations as people write them, in immutactl's options and immutad's configuration.
@Suite struct QuantitiesTests {
    static let sizes: [(String, UInt64?)] = [
        ("0", 0), ("4096", 4096), ("1b", 1), ("512k", 512 << 10), ("512K", 512 << 10), ("64KiB", 64 << 10),
        ("64MiB", 64 << 20), ("1G", 1 << 30), ("1gib", 1 << 30), ("2TiB", 2 << 40), ("1T", 1 << 40),
        ("1KB", 1_000), ("1kb", 1_000), ("5MB", 5_000_000), ("1GB", 1_000_000_000), ("3TB", 3_000_000_000_000),
        ("18446744073709551615", .max), ("18446744073709551616", nil), ("20000000TB", nil), ("17179869184GiB", nil),
        ("", nil), ("GB", nil), ("1.5GB", nil), ("-1", nil), ("1 GB", nil), ("1XB", nil), ("1GBB", nil), ("0x10", nil),
    ]

    @Test func sizes() {
        for (text, expected) in Self.sizes {
            #expect(Quantities.bytes(text) == expected, "\(text)")
        }
    }

    static let durations: [(String, Int64?)] = [
        ("500ms", 500), ("90s", 90_000), ("15m", 900_000), ("12h", 43_200_000), ("7d", 604_800_000), ("0s", 0),
        ("90", nil), ("", nil), ("s", nil), ("1.5h", nil), ("-1s", nil), ("1w", nil), ("106751991167301d", nil),
    ]

    @Test func durations() {
        for (text, expected) in Self.durations {
            #expect(Quantities.milliseconds(text) == expected, "\(text)")
        }
        #expect(Quantities.durationProblem("90") == "90 has no unit; write it with ms, s, m, h or d (90s, 90m, 90h)")
        #expect(Quantities.durationProblem("1w").hasPrefix("1w is not a whole number with ms, s, m, h or d"))
    }
}
