import ArgumentParser
import Immuta
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// `immutactl bench e2e`: how long a record takes from the produce call to a subscriber in
/// another process, at a fixed offered rate.
struct BenchE2E: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Measure end-to-end latency, producer to subscriber in another process, at a fixed rate.",
        discussion: """
            Starts a subscriber in a second immutactl process, then produces --count records of \
            --size bytes (at least 8), one per produce, at --rate records/s (up to --in-flight \
            unanswered at once). Each record carries the time it was due to be sent; the subscriber \
            measures from that time to its arrival, so a send that falls behind the schedule counts \
            against the latency instead of hiding it (no coordinated omission). Reports p50, p90, \
            p99, p99.9 and max.

            Examples:
              immutactl bench e2e --size 100 --count 10000 --rate 1000
              immutactl bench e2e --size 100 --count 1000000 --rate 100000 --json
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("Records per second to offer, 1 to 10000000.", valueName: "n"))
    var rate = 1000

    func validate() throws {
        guard (1...10_000_000).contains(rate) else { throw ValidationError("--rate \(rate) must be from 1 to 10000000") }
        guard options.payloadBytes >= 8 else {
            throw ValidationError("--size \(options.size) is too small: each record carries an 8-byte time stamp")
        }
    }

    func run() async throws {
        try await withBenchTopic(options, connection) { client, _ in
            let (topic, ack, count, size) = (options.topicName, options.ack.ack, options.count, options.payloadBytes)
            let from = try await client.describeTopic(topic).nextOffset
            let receiver = try await BenchChildProcess.start(
                [
                    "bench", "e2e-receive", "--socket", connection.socketPath, "--topic", topic, "--from", String(from),
                    "--count", String(count),
                ], role: "e2e subscriber")
            let interval = 1_000_000_000 / UInt64(rate)
            let padding = StampedRecords.padding(size: size)
            var progress = SteppedProgress(options.progress("bench e2e", records: count))
            let window = options.inFlight
            let started = monotonicNanoseconds() + 1_000_000
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<count {
                        let due = started + UInt64(index) * interval
                        wait(untilMonotonic: due)
                        let record = StampedRecords.batch(count: 1, size: size, sentAt: due, padding: padding)
                        if index >= window { try await group.next() }
                        group.addTask { _ = try await client.produce(topic, framedRecords: record, count: 1, ack: ack) }
                        progress.add(bytes: size)
                    }
                    try await group.waitForAll()
                }
            } catch {
                receiver.stop()
                throw error
            }
            let seconds = Double(monotonicNanoseconds() - started) / 1e9
            guard let measured = Latencies.parse(try await receiver.finish()) else {
                throw CLIError("the e2e subscriber did not report its latencies")
            }
            progress.finish()
            options.report(
                "e2e", records: count, seconds: seconds, batch: nil,
                extra: [("rate", .int(Int64(rate)), "offered \(rate) records/s, ack \(options.ack.rawValue)")] + measured.reported)
        }
    }
}

/// `immutactl bench e2e-receive`: the subscriber `bench e2e` (and `bench mixed --processes`)
/// starts in a process of its own.
/// Prints `ready` once subscribed, then the latencies of `--count` records as one line.
struct BenchE2EReceive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e-receive",
        abstract: "The subscriber of bench e2e and bench mixed --processes (started by them).",
        discussion: """
            Examples:
              immutactl bench e2e-receive --topic bench --from 0 --count 1000
            """,
        shouldDisplay: false)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.") var topic: String
    @Option(help: "The offset to start at.") var from: UInt64
    @Option(help: "Records to receive.") var count: Int

    func run() async throws {
        try await ImmutaClient.with(connection) { client in
            let subscription = try await StampedRecords.subscribe(client, topic: topic, from: from)
            print("ready")
            fflush(nil)  // all streams: stdout itself is not concurrency-safe to name
            print(try await StampedRecords.receive(subscription, count: count).line)
            fflush(nil)
        }
    }
}
