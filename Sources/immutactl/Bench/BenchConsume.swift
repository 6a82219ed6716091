import ArgumentParser
import Immuta
import NIOCore

/// `immutactl bench consume`: records/s and MB/s of catching up from the earliest record.
struct BenchConsume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Measure consume (catch-up) throughput.",
        discussion: """
            Fills the topic with --count records of --size bytes first, unless it already holds that many, \
            then measures reading --count records from the earliest through one subscription with \
            generous credit.

            Examples:
              immutactl bench consume --size 100 --count 1000000
            """)

    /// Credit granted to the subscription: the daemon may run this far ahead of the reader.
    static let creditRecords = 1_000_000
    static let creditBytes = 64 << 20

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    func run() async throws {
        try await withBenchTopic(options, connection) { client, batch in
            let topic = options.topicName
            try await options.fill(client, batch: batch)
            // Read once: an @OptionGroup property costs a generic-metadata lookup on every access.
            let count = options.count
            let start = ContinuousClock.now
            let subscription = try await client.subscribe(
                topic, from: .earliest, creditRecords: Self.creditRecords, creditBytes: Self.creditBytes)
            var records = 0
            var bytes = 0
            var progress = SteppedProgress(options.progress("bench consume", records: count))
            for try await record in subscription {
                records += 1
                bytes &+= record.payload.readableBytes
                if records == count { break }
                progress.add(bytes: record.payload.readableBytes)
            }
            let seconds = (ContinuousClock.now - start).seconds
            progress.finish()
            await subscription.cancel()
            guard records == options.count else {
                throw CLIError("the subscription ended after \(records) of \(options.count) records")
            }
            options.report("consume", records: records, bytes: UInt64(bytes), seconds: seconds, batch: nil)
        }
    }
}
