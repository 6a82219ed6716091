import ImmutaStorage
import ArgumentParser
import Immuta
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The options `bench produce`, `bench consume` and `bench group` share.
struct BenchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Payload bytes per record (a size: 100, 4K, 1MiB).", valueName: "bytes"))
    var size: String

    @Option(help: ArgumentHelp("Records to produce or consume.", valueName: "n"))
    var count: Int

    @Option(help: ArgumentHelp("Records per produce batch.", valueName: "n"))
    var batch = 1000

    @Option(help: "Acknowledge produces once written (write) or once on disk (fsync).")
    var ack: AckOption = .write

    @Option(
        help: ArgumentHelp(
            "The topic to use (default: bench-PID). A topic the run creates is deleted at the end unless --keep.",
            valueName: "name"))
    var topic: String?

    @Option(help: ArgumentHelp("Produce batches in flight at once.", valueName: "n"))
    var inFlight = 8

    @Flag(help: "Keep a topic the run created (one that existed before is always kept).")
    var keep = false

    @Flag(help: "Print one JSON object.")
    var json = false

    var payloadBytes: Int { Int(Quantities.bytes(size) ?? 0) }
    var topicName: String { topic ?? "bench-\(getpid())" }

    func validate() throws {
        guard let bytes = Quantities.bytes(size), bytes <= 1 << 30 else {
            throw ValidationError(
                "--size \(size) is not a size from 0 to 1GiB; use bytes (100) or a K, M or G suffix (4K)")
        }
        guard count >= 1 else { throw ValidationError("--count \(count) must be at least 1") }
        guard (1...1_000_000).contains(batch) else {
            throw ValidationError("--batch \(batch) must be from 1 to 1000000")
        }
        guard (1...256).contains(inFlight) else {
            throw ValidationError("--in-flight \(inFlight) must be from 1 to 256")
        }
        if let topic { try SafeNameCheck.validate(topic) }
    }

    /// Finds or creates the topic. Returns whether this run created it (and so should delete it).
    func prepareTopic(_ client: ImmutaClient) async throws -> Bool {
        let name = topicName
        if try await client.listTopics().contains(where: { $0.name == name }) { return false }
        let maxRecord = UInt64(max(payloadBytes, 1))
        try await client.createTopic(
            name,
            options: TopicOptions(
                durability: ack == .fsync ? "fsync" : "none",
                maxRecordBytes: maxRecord > 8 << 20 ? maxRecord : nil))
        return true
    }

    /// Records per batch, lowered when --batch records would not fit in one frame.
    func effectiveBatch(_ client: ImmutaClient) throws -> Int {
        let room = client.maxFrameLength - 64 - topicName.utf8.count
        let framed = payloadBytes + 8
        guard framed <= room else {
            throw CLIError(
                "records of \(payloadBytes) bytes do not fit in one frame "
                    + "(the daemon accepts \(client.maxFrameLength) bytes)"
            )
        }
        let fitting = min(batch, room / framed)
        if fitting < batch && !json {
            printError(
                "note: \(batch) records of \(payloadBytes) bytes exceed one frame; sending batches of \(fitting)")
        }
        return fitting
    }

    /// Tops the bench topic up to ``count`` records (untimed), for the read benchmarks.
    func fill(_ client: ImmutaClient, batch: Int) async throws {
        let present = try await client.describeTopic(topicName).records
        if present < UInt64(count) {
            _ = try await produce(client, count: count - Int(present), batch: batch, label: "filling \(topicName)")
        }
    }

    /// Produces `count` records as fast as the daemon takes them: prebuilt batches, several in
    /// flight, with progress on standard error as batches are acknowledged. Returns the elapsed
    /// seconds.
    func produce(_ client: ImmutaClient, count: Int, batch: Int, label: String) async throws -> Double {
        let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: 0x61 + $0 % 26) }
        func framed(_ records: Int) -> ByteBuffer {
            var buffer = ByteBufferAllocator().buffer(capacity: records * (payload.count + 8))
            for _ in 0..<records {
                buffer.writeInteger(UInt64(payload.count), endianness: .little)
                buffer.writeBytes(payload)
            }
            return buffer
        }
        let full = framed(batch)
        let last = count % batch == 0 ? full : framed(count % batch)
        let batches = (count + batch - 1) / batch
        let (topic, ack, window, size) = (topicName, ack.ack, inFlight, payload.count)
        let progress = progress(label, records: count)
        defer { progress.finish() }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<batches {
                if index >= window, let n = try await group.next() { progress.add(records: n, bytes: n * size) }
                let (records, n) = index == batches - 1 ? (last, count - index * batch) : (full, batch)
                group.addTask {
                    _ = try await client.produce(topic, framedRecords: records, count: n, ack: ack)
                    return n
                }
            }
            for try await n in group { progress.add(records: n, bytes: n * size) }
        }
        return (ContinuousClock.now - start).seconds
    }

    /// Progress of a benchmark's `records` records (none with --json, whose reader wants one
    /// object and nothing else).
    func progress(_ label: String, records: Int) -> Progress {
        Progress(label, totalRecords: UInt64(records), totalBytes: UInt64(records) * UInt64(payloadBytes), quiet: json)
    }

    /// Prints the figures.
    ///
    /// - Parameters:
    ///   - bytes: payload bytes moved (default: records × --size).
    ///   - extra: more JSON fields, and their text for the line (`max in flight 10000`; an empty
    ///     text leaves the field out of the line).
    func report(
        _ name: String, records: Int, bytes: UInt64? = nil, seconds: Double, batch: Int?,
        extra: [(key: String, value: JSON, text: String)] = []
    ) {
        let bytes = bytes ?? UInt64(records) * UInt64(payloadBytes)
        let perSecond = seconds > 0 ? Double(records) / seconds : 0
        let megabytes = seconds > 0 ? Double(bytes) / 1e6 / seconds : 0
        if json {
            var fields: [(String, JSON)] = [
                ("records_per_sec", .double(perSecond)), ("mb_per_sec", .double(megabytes)),
                ("records", .int(Int64(records))), ("bytes", .uint(bytes)), ("seconds", .double(seconds)),
                ("benchmark", .string(name)), ("size", .int(Int64(payloadBytes))), ("ack", .string(ack.rawValue)),
            ]
            if let batch { fields += [("batch", .int(Int64(batch))), ("in_flight", .int(Int64(inFlight)))] }
            fields += extra.map { ($0.key, $0.value) }
            print(JSON.object(fields).rendered)
        } else {
            let how =
                (batch.map { ", batches of \($0), \(inFlight) in flight, ack \(ack.rawValue)" } ?? "")
                + extra.filter { !$0.text.isEmpty }.map { ", \($0.text)" }.joined()
            print(
                "\(name): \(records) records of \(payloadBytes) bytes in \(format(seconds, 3)) s: "
                    + "\(format(perSecond, 0)) records/s, \(format(megabytes, 1)) MB/s\(how)")
        }
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        if decimals == 0 { return String(scaled) }
        let whole = scaled / Int64(scale)
        let fraction = String(scaled % Int64(scale))
        return "\(whole).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Runs a benchmark body with a topic prepared, deleting the topic afterwards when the run created
/// it and --keep was not given. The body gets the records per batch that fit in one frame.
func withBenchTopic(
    _ options: BenchOptions, _ connection: ConnectionOptions, _ body: (ImmutaClient, Int) async throws -> Void
) async throws {
    try await ImmutaClient.with(connection) { client in
        let batch = try options.effectiveBatch(client)
        let created = try await options.prepareTopic(client)
        do {
            try await body(client, batch)
        } catch {
            if created && !options.keep { try? await client.deleteTopic(options.topicName) }
            throw error
        }
        if created && !options.keep { try await client.deleteTopic(options.topicName) }
    }
}
