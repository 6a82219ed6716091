import ArgumentParser
import Immuta
import NIOCore

/// `immutactl bench rtt`: the round trip of a synchronous produce of one record.
struct BenchRTT: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt",
        abstract: "Measure the round trip of a synchronous one-record produce.",
        discussion: """
            Produces --count records of --size bytes one at a time, each sent once the previous one \
            was acknowledged (ack write, or fsync with --ack fsync), and reports the latency \
            percentiles of the round trips (p50, p90, p99, p99.9, max) beside records/s.

            Examples:
              immutactl bench rtt --size 100 --count 10000
              immutactl bench rtt --size 100 --count 2000 --ack fsync --json
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    func run() async throws {
        try await withBenchTopic(options, connection) { client, _ in
            let (topic, ack, count) = (options.topicName, options.ack.ack, options.count)
            var record = ByteBufferAllocator().buffer(capacity: options.payloadBytes + 8)
            record.writeInteger(UInt64(options.payloadBytes), endianness: .little)
            record.writeBytes((0..<options.payloadBytes).map { UInt8(truncatingIfNeeded: 0x61 + $0 % 26) })
            var latencies = Latencies()
            var progress = SteppedProgress(options.progress("bench rtt", records: count))
            let start = ContinuousClock.now
            for _ in 1...count {
                let before = monotonicNanoseconds()
                _ = try await client.produce(topic, framedRecords: record, count: 1, ack: ack)
                latencies.record(nanoseconds: monotonicNanoseconds() - before)
                progress.add(bytes: options.payloadBytes)
            }
            let seconds = (ContinuousClock.now - start).seconds
            progress.finish()
            options.report(
                "rtt", records: count, seconds: seconds, batch: nil,
                extra: [("in_flight", .int(1), "one at a time, ack \(options.ack.rawValue)")] + latencies.reported)
        }
    }
}
