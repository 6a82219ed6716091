import ArgumentParser
import Immuta

/// `immutactl bench fanout`: one producer, many subscribers of the same topic.
struct BenchFanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Measure delivery to many subscribers of one topic.",
        discussion: """
            Subscribes --consumers connections to the topic's end, then produces --count records of \
            --size bytes as bench produce does, and measures until every subscriber has received \
            all of them. Records/s counts every delivery: --count × --consumers.

            Examples:
              immutactl bench fanout --size 100 --count 100000 --consumers 64
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("Subscribers, each on its own connection, 1 to 1024.", valueName: "n"))
    var consumers = 8

    func validate() throws {
        guard (1...1024).contains(consumers) else { throw ValidationError("--consumers \(consumers) must be from 1 to 1024") }
    }

    func run() async throws {
        try await withBenchTopic(options, connection) { client, batch in
            let (topic, count) = (options.topicName, options.count)
            let from = try await client.describeTopic(topic).nextOffset
            var subscribers: [(ImmutaClient, ImmutaSubscription)] = []
            defer { for (subscriber, _) in subscribers { Task { await subscriber.close() } } }
            for _ in 0..<consumers {
                let subscriber = try await connection.connect()
                subscribers.append((subscriber, try await subscriber.subscribe(topic, from: .offset(from))))
            }
            let start = ContinuousClock.now
            let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
                for (_, subscription) in subscribers {
                    group.addTask {
                        var received = 0
                        for try await _ in subscription {
                            received += 1
                            if received == count { break }
                        }
                        return received
                    }
                }
                _ = try await options.produce(client, count: count, batch: batch, label: "bench fanout")
                return try await group.reduce(0, +)
            }
            let seconds = (ContinuousClock.now - start).seconds
            guard delivered == count * consumers else {
                throw CLIError("the subscribers received \(delivered) of \(count * consumers) records")
            }
            options.report(
                "fanout", records: delivered, seconds: seconds, batch: batch,
                extra: [("consumers", .int(Int64(consumers)), "\(consumers) subscribers")])
        }
    }
}
