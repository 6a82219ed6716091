import ArgumentParser

/// `immutactl bench produce|consume|group`.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure produce, consume and consumer-group throughput against the daemon.",
        discussion: """
            Prints records/s and MB/s (MB = 1,000,000 bytes of payload). These are the figures \
            docs/BENCHMARKS.md quotes; build with -c release before measuring.

            Examples:
              immutactl bench produce --size 100 --count 1000000
              immutactl bench consume --size 1K --count 100000
            """,
        subcommands: [BenchProduce.self, BenchConsume.self, BenchGroup.self])
}
