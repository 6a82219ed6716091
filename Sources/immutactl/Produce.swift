import ArgumentParser
import Immuta
import ImmutaStorage
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `immutactl produce TOPIC`: records from standard input (one per line, or NUL-separated), or one
/// whole file as a record.
struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce records read from standard input, or one file as a single record.",
        discussion: """
            Each line of standard input is a record; the newline is not part of it, and a last line \
            without a newline is a record too. With --null, records are separated by NUL bytes instead. \
            Records are sent in batches as they are read: a batch holds up to --batch records and is \
            sent early when no more input arrives within 2 ms. Every batch is atomic, and records keep their \
            input order. The first and last offsets are printed on standard error.

            Examples:
              echo 'hello' | immutactl produce orders
              seq 1 1000 | immutactl produce orders --ack write
              immutactl produce images --file photo.jpg
            """)

    /// Batches sent before waiting for the oldest one's acknowledgement.
    static let batchesInFlight = 8

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic (it must exist).", completion: NameCompletion.topics)
    var topic: String

    @Option(help: "Acknowledge once a batch is written (write) or once it is on disk (fsync).")
    var ack: AckOption = .fsync

    @Option(help: ArgumentHelp("Records per batch, from 1 to 1000000.", valueName: "n"))
    var batch = 1000

    @Flag(help: "Records are separated by NUL bytes instead of newlines (as from find -print0).")
    var null = false

    @Option(
        help: ArgumentHelp("Send this whole file as one record instead of reading standard input.", valueName: "path"))
    var file: String?

    func validate() throws {
        try SafeNameCheck.validate(topic)
        guard (1...1_000_000).contains(batch) else {
            throw ValidationError("--batch \(batch) must be from 1 to 1000000")
        }
        if null && file != nil {
            throw ValidationError("--null and --file cannot be combined: --file sends one record")
        }
    }

    func run() async throws {
        try await ImmutaClient.with(connection) { client in
            let info = try await client.describeTopicToProduce(topic)
            // The frame carries the topic name and a few header fields besides the records.
            let maxBatchBytes = client.maxFrameLength - 64 - topic.utf8.count
            let maxRecordBytes = min(Int(clamping: info.maxRecordBytes), maxBatchBytes - 8)
            let tooLarge = { (record: String, size: Int) -> CLIError in
                let limit =
                    UInt64(maxRecordBytes) == info.maxRecordBytes
                    ? "the topic's max record size of \(maxRecordBytes) bytes"
                    : "the \(maxRecordBytes) bytes that fit in one frame of the daemon"
                return CLIError("\(record) is \(size) bytes, more than \(limit)")
            }
            if let file {
                let bytes: [UInt8]
                let length: Int
                do {
                    // `-` is standard input, read to its end as one record.
                    if file == "-" {
                        (bytes, length) = try readAllStandardInput(limit: maxRecordBytes + 1)
                    } else {
                        bytes = try FileIO.readAll(file)
                        length = bytes.count
                    }
                } catch {
                    throw CLIError("cannot read \(file == "-" ? "standard input" : file): \(error)")
                }
                guard length <= maxRecordBytes else { throw tooLarge(file == "-" ? "standard input" : file, length) }
                let producer = ImmutaProducer(
                    socketPath: connection.socketPath, clientName: "immutactl", reconnect: try Reconnection.policy(resuming: "resending what was not acknowledged"))
                let result = try await producer.produce(topic, [bytes], ack: ack.ack)
                await producer.close()
                printError("produced 1 record to \(topic): offset \(result.firstOffset)")
                return
            }
            try await produceStandardInput(
                client, maxBatchBytes: maxBatchBytes, maxRecordBytes: maxRecordBytes, tooLarge: tooLarge)
        }
    }

    private func produceStandardInput(
        _ client: ImmutaClient, maxBatchBytes: Int, maxRecordBytes: Int, tooLarge: (String, Int) -> CLIError
    ) async throws {
        let reader = RecordReader(fd: STDIN_FILENO, separator: null ? 0 : UInt8(ascii: "\n")) { [null] number in
            null ? "record \(number)" : "line \(number)"
        }
        // Ctrl-C (or SIGTERM) ends the input where it is: what was read is sent, and the summary
        // says what was stored, instead of the process dying silently (a second signal still
        // ends it at once).
        let stop = SignalStop()
        var production = PipelinedProduction(
            topic: topic, ack: ack.ack, depth: Self.batchesInFlight, connection: connection, clientName: "immutactl",
            reconnect: try Reconnection.policy(resuming: "resending what was not acknowledged"))
        // A batch that failed for good (the daemon did not come back, say) ends the input too,
        // rather than the next read that finds its failure, which may be long in coming.
        let failed = production.failed
        reader.shouldStop = { stop.received != nil || failed.isSet }
        let allocator = ByteBufferAllocator()
        var summary = ProduceSummary()
        // Input from a file (`produce T < records.txt`) shows progress, by the file's bytes.
        let progress = Progress(
            "produce \(topic)", totalBytes: Progress.fileSize(STDIN_FILENO), quiet: !Progress.isRegularFile(STDIN_FILENO))
        let settled = { (result: ProduceResult) in
            summary.add(result)
            progress.add(records: result.count, bytes: 0)
        }
        do {
            while true {
                var records = allocator.buffer(capacity: min(maxBatchBytes, 64 << 10))
                let count = try reader.nextBatch(
                    into: &records, maxRecords: batch, maxBytes: maxBatchBytes, maxRecordBytes: maxRecordBytes,
                    tooLarge: tooLarge)
                // What was read when a batch failed is not sent: it would land after the gap.
                if count == 0 || failed.isSet { break }
                // The input bytes the batch took: its records and their separators.
                progress.add(records: 0, bytes: records.readableBytes - 7 * count)
                guard await production.send(records, count: count, settled: settled) else { break }
            }
        } catch {
            production.fail(error)
        }
        await production.finish(settled: settled)
        progress.finish()
        let failure = production.failure
        if let failure {
            // Report what did land (a prefix of the input), so a retry can skip it.
            printError("produced \(summary.description(topic)) before the error; the rest of the input was not stored")
            throw failure
        }
        if let signal = stop.received {
            printError("produced \(summary.description(topic)); stopped by \(signal == SIGINT ? "SIGINT" : "SIGTERM"), the rest of the input was not read")
            throw ExitCode(128 + signal)
        }
        printError("produced \(summary.description(topic))")
    }
}

/// The offsets a run of batches received.
struct ProduceSummary {
    var count = 0
    var first: UInt64?
    var last: UInt64 = 0

    mutating func add(_ result: ProduceResult) {
        count += result.count
        if first == nil { first = result.firstOffset }
        last = max(last, result.lastOffset)
    }

    func description(_ topic: String) -> String {
        guard let first else { return "0 records to \(topic)" }
        if count == 1 { return "1 record to \(topic): offset \(first)" }
        return "\(count) records to \(topic): offsets \(first)..\(last)"
    }
}
