import ArgumentParser
import Immuta
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// `immutactl consume TOPIC`: print records to standard output, alone or as a consumer-group member.
struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a topic's records to standard output.",
        discussion: """
            Without --follow, consume stops at the end of the topic as it was when it started. With \
            --follow it keeps waiting for new records, like tail -f, until interrupted or --count is reached.

            With --group, consume joins a consumer group: the daemon shares the records among the \
            group's members. Each record is acknowledged once it has been written to standard output \
            (into a pipe's buffer, not necessarily read yet: bound that with --max-in-flight). With \
            --exec CMD, each record is instead handed to CMD on its standard input and acknowledged \
            only when CMD exits 0; otherwise it goes back for redelivery. Without --follow the member \
            stops once the group has nothing left for it.

            Examples:
              immutactl consume orders --from -10 --follow
              immutactl consume orders > orders.txt
              immutactl consume orders --group billing --follow --exec './bill-one'
            """)

    /// The most one fetch asks for; the daemon also cuts a fetch at a segment boundary.
    static let fetchRecords = 100_000
    static let fetchBytes = 8 << 20
    /// How long one fetch waits for new records with --follow before asking again.
    static let followWait = Duration.seconds(30)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.", completion: NameCompletion.topics)
    var topic: String

    // `.unconditional`, so that `--from -10` takes its value instead of reading it as an option.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Where to start: \(StartOption.help) (default: earliest; with --group: latest, and only when "
                + "this member creates the group).",
            valueName: "position"),
        transform: StartOption.parse)
    var from: StartSpec?

    @Option(help: ArgumentHelp("Start at the last N records (the same as --from -N).", valueName: "n"))
    var last: UInt64?

    @Option(help: ArgumentHelp("Stop after this many records.", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("Stop before this offset (even with --follow).", valueName: "offset"))
    var to: UInt64?

    @Option(
        help: ArgumentHelp(
            "Stop at the first record written after this time: a time ago (1h) or an RFC 3339 time (even with --follow).",
            valueName: "time"),
        transform: StartOption.parseTime)
    var until: Int64?

    @Flag(help: "Keep waiting for new records at the end of the topic.")
    var follow = false

    @Option(help: "lines: each payload and a newline; raw: payloads only; json: one object per line.")
    var format: RecordFormat = .lines

    @Option(
        help: ArgumentHelp("Consume as a member of this consumer group (managed delivery).", valueName: "group"),
        completion: NameCompletion.groups)
    var group: String?

    @Option(
        help: ArgumentHelp(
            "With --group: run this shell command for each record (its payload on standard input) and acknowledge the record when it exits 0, give it back otherwise.",
            valueName: "command"))
    var exec: String?

    @Option(
        help: ArgumentHelp(
            "With --exec: hand the command up to N records at once (in --format, on standard input; default 1, the bare payload).",
            valueName: "n"))
    var batch: Int?

    @OptionGroup(title: "Group settings (used when this member creates the group; --max-in-flight also bounds this member)")
    var settings: GroupSettingsOptions

    func validate() throws {
        try SafeNameCheck.validate(topic)
        if let count, count < 1 { throw ValidationError("--count \(count) must be at least 1") }
        if let last {
            guard last > 0 else { throw ValidationError("--last 0: ask for 1 or more records") }
            guard from == nil else { throw ValidationError("--last and --from both say where to start; give one") }
        }
        if let group {
            try SafeNameCheck.validate(group, kind: "group")
            if to != nil || until != nil {
                throw ValidationError("--to and --until end a plain consume; a group member ends with --count or without --follow")
            }
        } else if let option = settings.given.first ?? (exec.map { _ in "--exec" }) {
            throw ValidationError("\(option) applies to a consumer group; add --group NAME")
        }
        if let batch {
            guard exec != nil else { throw ValidationError("--batch applies to --exec") }
            guard (1...10_000).contains(batch) else { throw ValidationError("--batch \(batch) must be from 1 to 10000") }
        }
    }

    /// Where to start: `--from`, or `--last N`.
    private var start: StartSpec? { last.map { .last($0) } ?? from }

    func run() async throws {
        if let group {
            try await ImmutaClient.with(connection) { client in
                let consumption = GroupConsumption(
                    topic: topic, group: group, start: try await start?.resolve(client, topic: topic) ?? .latest,
                    options: settings.groupOptions, count: count, follow: follow, format: format,
                    exec: exec.map { ExecConsumption(command: $0, batch: batch ?? 1, format: format, topic: topic, group: group) })
                try await consumption.run(client)
            }
            return
        }
        let output = OutputWriter()
        do {
            try await ImmutaClient.with(connection) { client in try await consume(client, output) }
            try output.flush()
        } catch is BrokenPipe {
            return  // the reader has gone (`| head`): that is how such a pipeline ends.
        } catch {
            try? output.flush()
            throw error
        }
    }

    private func consume(_ client: ImmutaClient, _ output: OutputWriter) async throws {
        var remaining = count ?? Int.max
        let (topic, follow) = (topic, follow)
        let fetch = { @Sendable (start: StartPosition, remaining: Int) in
            Task {
                // Across a daemon restart, the same fetch again: nothing printed twice, nothing skipped.
                try await Reconnection.retrying(client) {
                    try await client.fetch(
                        topic, from: start, maxRecords: min(remaining, Self.fetchRecords), maxBytes: Self.fetchBytes,
                        wait: follow ? Self.followWait : nil)
                }
            }
        }
        // The end of the log when we started; without --follow we stop there.
        var end: UInt64?
        var pending = fetch(try await start?.resolve(client, topic: topic) ?? .earliest, remaining)
        let (to, until) = (self.to, self.until)
        // Consuming into a file (`consume T > records.txt`) shows progress on standard error.
        var progress: Progress?
        var summary = ConsumeSummary()
        defer {
            if let progress {
                progress.finish()
                printError("consumed \(summary.description(topic))")
            }
        }
        while true {
            let result = try await pending.value
            if end == nil {
                end = result.logEndOffset
                if Progress.isRegularFile(STDOUT_FILENO) {
                    let first = result.records.first?.offset ?? result.nextOffset
                    let stop = min(result.logEndOffset, to ?? .max)
                    let known = follow ? nil : min(UInt64(remaining), stop > first ? stop - first : 0)
                    progress = Progress("consume \(topic)", totalRecords: known)
                }
            }
            var records = result.records[...]
            if !follow, let end { records = records.prefix { $0.offset < end } }
            // --to and --until end the run at the first record past them, --follow or not.
            let bounded = records.prefix { record in
                (to.map { record.offset < $0 } ?? true) && (until.map { record.timestamp <= $0 } ?? true)
            }
            let reachedBound = bounded.count < records.count || (to.map { result.nextOffset >= $0 } ?? false)
            records = bounded.prefix(remaining)
            remaining -= records.count
            let done = remaining == 0 || reachedBound || (!follow && result.nextOffset >= end ?? 0)
            // Ask for the next records while these are written out.
            if !done { pending = fetch(.offset(result.nextOffset), remaining) }
            for record in records { try output.write(record, format: format) }
            if let progress {
                summary.add(records)
                progress.add(records: records.count, bytes: records.reduce(0) { $0 + $1.payload.readableBytes })
            }
            if done { return }
            if result.nextOffset >= result.logEndOffset {
                // Caught up: the next fetch waits, so let the reader see everything so far.
                try output.flush()
            }
        }
    }
}

/// What a consume into a file wrote, for its closing line.
struct ConsumeSummary {
    var count = 0
    var first: UInt64?
    var last: UInt64 = 0

    mutating func add(_ records: ArraySlice<ImmutaRecord>) {
        guard let head = records.first, let tail = records.last else { return }
        count += records.count
        if first == nil { first = head.offset }
        last = tail.offset
    }

    func description(_ topic: String) -> String {
        guard let first else { return "0 records of \(topic)" }
        return count == 1 ? "1 record of \(topic): offset \(first)" : "\(count) records of \(topic): offsets \(first)..\(last)"
    }
}
