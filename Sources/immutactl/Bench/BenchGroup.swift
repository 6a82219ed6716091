import ArgumentParser
import Immuta
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `immutactl bench group`: records/s and MB/s of one consumer-group member with managed delivery.
struct BenchGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "Measure consumer-group (managed delivery) throughput.",
        discussion: """
            Fills the topic with --count records of --size bytes first, unless it already holds that many, \
            then measures one member of a new group, started at the earliest record, receiving and \
            acknowledging --count records (acks travel in batches), until its last ack reached the daemon.

            Examples:
              immutactl bench group --size 100 --count 100000 --max-in-flight 1000
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: BenchOptions

    @Option(help: ArgumentHelp("The group's max in-flight records, 1 to 1000000.", valueName: "n"))
    var maxInFlight = 10_000

    func validate() throws {
        guard (1...1_000_000).contains(maxInFlight) else {
            throw ValidationError("--max-in-flight \(maxInFlight) must be from 1 to 1000000")
        }
    }

    func run() async throws {
        try await withBenchTopic(options, connection) { client, batch in
            let topic = options.topicName
            try await options.fill(client, batch: batch)
            // A group of its own, so that a kept topic is measured from the start every time.
            let group = "bench-\(getpid())"
            // Read once: an @OptionGroup property costs a generic-metadata lookup on every access.
            let count = options.count
            let start = ContinuousClock.now
            let consumer = try await client.joinGroup(
                topic, group: group, from: .earliest, options: GroupOptions(maxInFlight: maxInFlight),
                stopWhenIdle: true)
            var records = 0
            var bytes = 0
            var progress = SteppedProgress(options.progress("bench group", records: count))
            for try await message in consumer {
                bytes &+= message.record.payload.readableBytes
                message.ack()
                records += 1
                if records == count { break }
                progress.add(bytes: message.record.payload.readableBytes)
            }
            try await consumer.flushAcks()
            let seconds = (ContinuousClock.now - start).seconds
            progress.finish()
            try await consumer.leave()
            try await client.deleteGroup(topic, group: group)
            guard records == options.count else {
                throw CLIError("the group member stopped after \(records) of \(options.count) records")
            }
            options.report(
                "group", records: records, bytes: UInt64(bytes), seconds: seconds, batch: nil,
                extra: [("max_in_flight", .int(Int64(maxInFlight)), "max in flight \(maxInFlight)")])
        }
    }
}
