import ArgumentParser
import Immuta

/// `immutactl bench produce`: records/s and MB/s of produce.
struct BenchProduce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Measure produce throughput.",
        discussion: """
            Produces --count records of --size bytes in batches of --batch, --in-flight batches at a time, \
            into a topic with durability none (fsync with --ack fsync), and measures the wall time.

            Examples:
              immutactl bench produce --size 100 --count 1000000
              immutactl bench produce --size 4K --count 100000 --ack fsync
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    func run() async throws {
        try await withBenchTopic(options, connection) { client, batch in
            let seconds = try await options.produce(client, count: options.count, batch: batch, label: "bench produce")
            options.report("produce", records: options.count, seconds: seconds, batch: batch)
        }
    }
}
