import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// One timed run of a case.
struct Sample: Sendable {
    /// Records written or read.
    var records: Int
    /// Payload bytes written or read (size prefixes and index entries not counted).
    var payloadBytes: Int
    /// Wall time of the timed part.
    var seconds: Double
    /// CPU time the timing thread spent in it (user and system). On a shared machine this is the
    /// figure other processes disturb least; nil where the work spans threads.
    var cpuSeconds: Double? = nil
    /// fdatasync calls made during the run, when counted.
    var syncs: UInt64? = nil

    var recordsPerSecond: Double { Double(records) / seconds }
    var mibPerSecond: Double { Double(payloadBytes) / Double(1 << 20) / seconds }
    var cpuMibPerSecond: Double? { cpuSeconds.map { Double(payloadBytes) / Double(1 << 20) / $0 } }

    init(records: Int, payloadBytes: Int, seconds: Double, cpuSeconds: Double? = nil, syncs: UInt64? = nil) {
        self.records = records
        self.payloadBytes = payloadBytes
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
        self.syncs = syncs
    }

    init(records: Int, payloadBytes: Int, timing: Timing) {
        self.init(records: records, payloadBytes: payloadBytes, seconds: timing.seconds, cpuSeconds: timing.cpuSeconds)
    }
}

/// Wall and CPU time of a timed block.
struct Timing: Sendable {
    var seconds: Double
    var cpuSeconds: Double
}

/// Medians and spread of a list of values.
enum Statistics {
    static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Measures the wall time of `body` on the monotonic clock, and the CPU time of the calling thread.
/// `body` must not suspend (it is synchronous), so it runs on one thread throughout.
func timed(_ body: () throws -> Void) rethrows -> Timing {
    let cpuStart = threadCPUNanoseconds()
    let start = monotonicNanoseconds()
    try body()
    let wall = monotonicNanoseconds() - start
    let cpu = threadCPUNanoseconds() - cpuStart
    return Timing(seconds: Double(wall) / 1e9, cpuSeconds: Double(cpu) / 1e9)
}

/// CPU time of the calling thread, in nanoseconds.
func threadCPUNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// The 1-, 5- and 15-minute load averages, to show how busy the machine was.
func loadAverage() -> String {
    // /proc files report a size of 0, so read a fixed amount rather than the file's size.
    let fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "unknown" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else { return "unknown" }
    return String(decoding: buffer[..<count], as: UTF8.self).split(separator: " ").prefix(3).joined(separator: " ")
}

/// Deterministic test payloads, built before any timing starts.
enum Payloads {
    /// `count` pseudo-random bytes (xorshift64*), the same for the same seed.
    static func bytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed | 1
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                state ^= state >> 12
                state ^= state << 25
                state ^= state >> 27
                buffer[i] = UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 56)
            }
            initialized = count
        }
    }

    /// `count` records of `recordBytes` each in the seed format (8-byte little-endian size, then
    /// the payload), ready for `RecordLog.append(framed:)`.
    static func framed(recordBytes: Int, count: Int) -> [UInt8] {
        let payload = bytes(recordBytes)
        var framed: [UInt8] = []
        framed.reserveCapacity(count * RecordFraming.framedSize(payloadSize: recordBytes))
        for _ in 0..<count {
            withUnsafeBytes(of: UInt64(recordBytes).littleEndian) { framed.append(contentsOf: $0) }
            framed.append(contentsOf: payload)
        }
        return framed
    }
}

/// Human-readable sizes and rates for the table.
enum Format {
    static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }

    /// A number with thousands separators and no decimals.
    static func count(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (i, character) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && character != "-" { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }

    /// A number with `decimals` decimals.
    static func fixed(_ value: Double, _ decimals: Int = 1) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        guard decimals > 0 else { return count(Double(whole)) }
        let fraction = String(abs(scaled % Int(scale)))
        return count(Double(whole)) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let gap = max(0, width - text.count)
        return right ? String(repeating: " ", count: gap) + text : text + String(repeating: " ", count: gap)
    }
}
