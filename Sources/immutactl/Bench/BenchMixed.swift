import ArgumentParser
import Immuta

#if canImport(Glibc)
    import Glibc
#endif

/// `immutactl bench mixed`: producers and subscribers on one topic at once.
struct BenchMixed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mixed",
        abstract: "Measure producers and subscribers on one topic at once.",
        discussion: """
            Subscribes --consumers connections to the topic's end, then --producers connections \
            produce --count records between them (batches of --batch, --in-flight each), each record \
            stamped with the time its batch was sent. Reports the produce rate (records acknowledged \
            per second), the delivery rate (records received by all subscribers per second) and \
            the latency from send to receipt over every subscriber's records. With --processes \
            every producer and subscriber is a process of its own (this program again), as \
            independent clients are; without it they share this process.

            Examples:
              immutactl bench mixed --size 100 --count 1000000 --producers 4 --consumers 4
              immutactl bench mixed --size 1K --count 200000 --producers 2 --consumers 8 --processes --json
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("Producers, each on its own connection, 1 to 256.", valueName: "n"))
    var producers = 2

    @Option(help: ArgumentHelp("Subscribers, each on its own connection, 0 to 1024.", valueName: "n"))
    var consumers = 2

    @Flag(help: "Run every producer and subscriber as a process of its own.")
    var processes = false

    func validate() throws {
        guard (1...256).contains(producers) else { throw ValidationError("--producers \(producers) must be from 1 to 256") }
        guard (0...1024).contains(consumers) else { throw ValidationError("--consumers \(consumers) must be from 0 to 1024") }
        guard options.payloadBytes >= 8 else {
            throw ValidationError("--size \(options.size) is too small: each record carries an 8-byte time stamp")
        }
    }

    func run() async throws {
        try await withBenchTopic(options, connection) { client, batch in
            let from = try await client.describeTopic(options.topicName).nextOffset
            let shares = (0..<producers).map { options.count / producers + ($0 < options.count % producers ? 1 : 0) }
            let run = try await (processes ? runProcesses(from: from, shares: shares, batch: batch) : runTasks(from: from, shares: shares, batch: batch))
            let delivered = options.count * consumers
            var extra: [(key: String, value: JSON, text: String)] = [
                ("producers", .int(Int64(producers)), "\(producers) producers"),
                ("consumers", .int(Int64(consumers)), "\(consumers) subscribers"),
                ("processes", .bool(processes), processes ? "each a process" : ""),
            ]
            if consumers > 0 {
                let perSecond = run.deliverySeconds > 0 ? Double(delivered) / run.deliverySeconds : 0
                extra.append(("delivered_per_sec", .double(perSecond), "\(Int64(perSecond.rounded())) delivered/s"))
                extra += run.latencies.reported
            }
            options.report("mixed", records: options.count, seconds: run.produceSeconds, batch: batch, extra: extra)
        }
    }

    private struct Outcome {
        var produceSeconds: Double
        var deliverySeconds: Double
        var latencies: Latencies
    }

    /// Producers and subscribers as tasks of this process, each on its own connection.
    private func runTasks(from: UInt64, shares: [Int], batch: Int) async throws -> Outcome {
        let topic = options.topicName
        var clients: [ImmutaClient] = []
        defer { for client in clients { Task { await client.close() } } }
        var subscriptions: [ImmutaSubscription] = []
        for _ in 0..<consumers {
            let client = try await connection.connect()
            clients.append(client)
            subscriptions.append(try await StampedRecords.subscribe(client, topic: topic, from: from))
        }
        var producing: [ImmutaClient] = []
        for _ in shares {
            let client = try await connection.connect()
            clients.append(client)
            producing.append(client)
        }
        let (count, window, size, ack) = (options.count, options.inFlight, options.payloadBytes, options.ack.ack)
        let progress = options.progress("bench mixed", records: count)
        let counts = progress.counts
        let start = ContinuousClock.now
        // A producer's task returns nil, a subscriber's its latencies.
        return try await withThrowingTaskGroup(of: Latencies?.self) { group in
            for subscription in subscriptions {
                group.addTask { try await StampedRecords.receive(subscription, count: count) }
            }
            for (client, share) in zip(producing, shares) where share > 0 {
                group.addTask {
                    _ = try await StampedRecords.produce(
                        client, topic: topic, count: share, batch: batch, window: window, size: size, ack: ack
                    ) { counts.add(records: $0, bytes: $0 * size) }
                    return nil
                }
            }
            var outcome = Outcome(produceSeconds: 0, deliverySeconds: 0, latencies: Latencies())
            for try await latencies in group {
                let elapsed = (ContinuousClock.now - start).seconds
                if let latencies {
                    outcome.latencies.merge(latencies)
                    outcome.deliverySeconds = max(outcome.deliverySeconds, elapsed)
                } else {
                    outcome.produceSeconds = max(outcome.produceSeconds, elapsed)
                }
            }
            progress.finish()
            return outcome
        }
    }

    /// Producers and subscribers as processes: subscribers first, then producers, which connect,
    /// say `ready` and start together on `go`.
    private func runProcesses(from: UInt64, shares: [Int], batch: Int) async throws -> Outcome {
        let topic = options.topicName
        var children: [BenchChildProcess] = []
        do {
            var subscribers: [BenchChildProcess] = []
            for _ in 0..<consumers {
                let child = try await BenchChildProcess.start(
                    [
                        "bench", "e2e-receive", "--socket", connection.socketPath, "--topic", topic, "--from", String(from),
                        "--count", String(options.count),
                    ], role: "subscriber process")
                children.append(child)
                subscribers.append(child)
            }
            var producing: [BenchChildProcess] = []
            for share in shares where share > 0 {
                let child = try await BenchChildProcess.start(
                    [
                        "bench", "mixed-produce", "--socket", connection.socketPath, "--topic", topic, "--count", String(share),
                        "--batch", String(batch), "--in-flight", String(options.inFlight), "--size", String(options.payloadBytes),
                        "--ack", options.ack.rawValue,
                    ], role: "producer process")
                children.append(child)
                producing.append(child)
            }
            let start = ContinuousClock.now
            for child in producing { child.send("go") }
            var outcome = Outcome(produceSeconds: 0, deliverySeconds: 0, latencies: Latencies())
            for child in producing {
                guard try await child.finish() == "produced" else { throw CLIError("a producer process did not finish") }
                outcome.produceSeconds = max(outcome.produceSeconds, (ContinuousClock.now - start).seconds)
            }
            for child in subscribers {
                guard let latencies = Latencies.parse(try await child.finish()) else {
                    throw CLIError("a subscriber process did not report its latencies")
                }
                outcome.latencies.merge(latencies)
                outcome.deliverySeconds = max(outcome.deliverySeconds, (ContinuousClock.now - start).seconds)
            }
            return outcome
        } catch {
            for child in children { child.stop() }
            throw error
        }
    }
}

/// `immutactl bench mixed-produce`: a producer process of `bench mixed --processes`. Connects,
/// prints `ready`, waits for a line on standard input, produces, prints `produced`.
struct BenchMixedProduce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mixed-produce",
        abstract: "A producer of bench mixed --processes (started by it).",
        discussion: """
            Examples:
              immutactl bench mixed-produce --topic bench --count 1000 --batch 100 --in-flight 8 --size 100 --ack write
            """,
        shouldDisplay: false)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.") var topic: String
    @Option(help: "Records to produce.") var count: Int
    @Option(help: "Records per batch.") var batch: Int
    @Option(help: "Batches in flight.") var inFlight: Int
    @Option(help: "Bytes per record.") var size: Int
    @Option(help: "write or fsync.") var ack: AckOption

    func run() async throws {
        try await ImmutaClient.with(connection) { client in
            print("ready")
            fflush(nil)  // all streams: stdout itself is not concurrency-safe to name
            guard readLine() != nil else { return }
            _ = try await StampedRecords.produce(
                client, topic: topic, count: count, batch: batch, window: inFlight, size: size, ack: ack.ack)
            print("produced")
            fflush(nil)
        }
    }
}
