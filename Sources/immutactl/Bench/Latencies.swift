import Histogram

#if canImport(Glibc)
    import Glibc
#endif

/// Latencies of a benchmark, in nanoseconds, kept in an HdrHistogram: constant memory and a
/// constant cost per sample whatever the run's length, with 3 significant digits from 1 ns to 60 s.
struct Latencies {
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)

    /// The percentiles a run reports in `percentiles_us`, which scripts/bench-plot.py draws.
    static let percentiles: [Double] = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]

    mutating func record(nanoseconds: UInt64) {
        _ = histogram.record(min(nanoseconds, 60_000_000_000))
    }

    var count: UInt64 { histogram.totalCount }

    func nanoseconds(at percentile: Double) -> UInt64 {
        percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
    }

    /// Adds another run's samples (another subscriber's, another process's).
    mutating func merge(_ other: Latencies) {
        histogram.add(other.histogram)
    }

    /// `p50_us`, `p90_us`, `p99_us`, `p999_us`, `max_us`, and their text for the report line; then
    /// every point of ``percentiles`` as `percentiles_us`, pairs of [percentile, µs] for plotting
    /// (JSON only).
    var reported: [(key: String, value: JSON, text: String)] {
        let names: [Double: String] = [50: "p50", 90: "p90", 99: "p99", 99.9: "p999", 100: "max"]
        let points = Self.percentiles.map { ($0, Double(nanoseconds(at: $0)) / 1000) }
        let usual = points.compactMap { percentile, micros -> (key: String, value: JSON, text: String)? in
            guard let name = names[percentile] else { return nil }
            return (name + "_us", .double(micros), "\(name) \(Self.micros(micros)) µs")
        }
        return usual + [("percentiles_us", .array(points.map { JSON.array([.double($0.0), .double($0.1)]) }), "")]
    }

    /// The microseconds with one decimal.
    static func micros(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The line a receiving process prints for its parent: every recorded bucket as
    /// value:count, so that the parent merges the samples themselves, not percentiles of them.
    var line: String {
        "latencies " + histogram.recordedValues().map { "\($0.value):\($0.count)" }.joined(separator: " ")
    }

    /// Reads ``line`` back.
    static func parse(_ line: String) -> Latencies? {
        let words = line.split(separator: " ")
        guard words.first == "latencies" else { return nil }
        var latencies = Latencies()
        for word in words.dropFirst() {
            let parts = word.split(separator: ":")
            guard parts.count == 2, let value = UInt64(parts[0]), let count = UInt64(parts[1]) else { return nil }
            _ = latencies.histogram.record(min(value, 60_000_000_000), count: count)
        }
        return latencies
    }
}

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process of the host, so a time stamped in
/// a record by the producing process can be compared with the receiving process's.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Waits until `deadline` (CLOCK_MONOTONIC nanoseconds) to within about a microsecond: sleeps to
/// 100 µs before it, then spins. A sleep alone ends up to 50 µs late (Linux's default timer slack,
/// which prctl, variadic and so not callable from Swift, would lower), and at a fixed rate every
/// late send would be measured as latency.
func wait(untilMonotonic deadline: UInt64) {
    let margin: UInt64 = 100_000
    if deadline > monotonicNanoseconds() + margin {
        let wake = deadline - margin
        var target = timespec(tv_sec: Int(wake / 1_000_000_000), tv_nsec: Int(wake % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }
    while monotonicNanoseconds() < deadline {}
}
