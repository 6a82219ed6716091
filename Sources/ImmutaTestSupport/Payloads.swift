/// A small, fast, seedable random number generator (SplitMix64), so that a failing test can be
/// replayed with the same data.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; the same seed gives the same sequence.
    public init(seed: UInt64) { state = seed }

    /// A stream for one part of a run (a connection slot, a worker) that does not overlap the
    /// others drawn from the same seed.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SeededGenerator(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        state = mixer.next()
    }

    /// True with probability `percent` in 100.
    public mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count)
        while result.count < count {
            let word = next()
            for shift in stride(from: 0, to: 64, by: 8) where result.count < count {
                result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return result
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random payloads and their seed-format framing, written independently of the storage engine so
/// that tests compare the engine against a second implementation.
public enum Payloads {
    /// `count` random bytes.
    public static func random(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// `count` random payloads with sizes in `sizes`.
    public static func random(
        count: Int, sizes: ClosedRange<Int>, using generator: inout some RandomNumberGenerator
    ) -> [[UInt8]] {
        (0..<count).map { _ in random(Int.random(in: sizes, using: &generator), using: &generator) }
    }

    /// The payloads in the seed format: for each, its size as 8 little-endian bytes, then its bytes.
    public static func framed(_ payloads: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for payload in payloads {
            bytes += littleEndian(UInt64(payload.count))
            bytes += payload
        }
        return bytes
    }

    /// The 8 little-endian bytes of `value`.
    public static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// The 4 little-endian bytes of `value`.
    public static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
    }

    /// Reads a little-endian integer of `width` bytes at `position`.
    public static func loadLittleEndian(_ bytes: [UInt8], at position: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[position + i]) }
        return value
    }
}

/// A bit-at-a-time CRC32C (Castagnoli), the slowest and plainest form, used as the oracle the
/// engine's checksums are compared with.
public enum ReferenceCRC32C {
    /// The CRC32C of `bytes`.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
