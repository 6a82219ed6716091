import ArgumentParser

/// `immutactl bench`: throughput and latency workloads.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput and latency against the daemon.",
        discussion: """
            Prints records/s and MB/s (MB = 1,000,000 bytes of payload), and for rtt and e2e the \
            latency percentiles. These are the figures docs/BENCHMARKS.md quotes; build with \
            -c release before measuring.

            Examples:
              immutactl bench produce --size 100 --count 1000000
              immutactl bench consume --size 1K --count 100000
              immutactl bench e2e --size 100 --count 10000 --rate 1000
            """,
        subcommands: [
            BenchProduce.self, BenchConsume.self, BenchGroup.self, BenchRTT.self, BenchE2E.self, BenchFanout.self,
            BenchMixed.self, BenchE2EReceive.self, BenchMixedProduce.self,
        ])
}
