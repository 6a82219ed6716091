import ArgumentParser
import Immuta
import NIOCore

/// `immutactl consume TOPIC`: print records to standard output.
struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a topic's records to standard output.",
        discussion: """
            Without --follow, consume stops at the end of the topic as it was when it started. With \
            --follow it keeps waiting for new records, like tail -f, until interrupted or --count is reached.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case lines
        case raw
        case json
    }

    /// The most one fetch asks for; the daemon also cuts a fetch at a segment boundary.
    static let fetchRecords = 100_000
    static let fetchBytes = 8 << 20
    /// How long one fetch waits for new records with --follow before asking again.
    static let followWait = Duration.seconds(30)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic.")
    var topic: String

    @Option(
        help: ArgumentHelp(
            "Where to start: earliest, latest (only new records), an offset, or an RFC 3339 time "
                + "such as 2026-11-25T12:00:00Z (default: earliest).",
            valueName: "position"),
        transform: StartOption.parse)
    var from: StartPosition = .earliest

    @Option(help: ArgumentHelp("Stop after this many records.", valueName: "n"))
    var count: Int?

    @Flag(help: "Keep waiting for new records at the end of the topic.")
    var follow = false

    @Option(help: "lines: each payload and a newline; raw: payloads only; json: one object per line.")
    var format: Format = .lines

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count \(count) must be at least 1") }
    }

    func run() async throws {
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
                try await client.fetch(
                    topic, from: start, maxRecords: min(remaining, Self.fetchRecords), maxBytes: Self.fetchBytes,
                    wait: follow ? Self.followWait : nil)
            }
        }
        // The end of the log when we started; without --follow we stop there.
        var end: UInt64?
        var pending = fetch(from, remaining)
        while true {
            let result = try await pending.value
            if end == nil { end = result.logEndOffset }
            var records = result.records[...]
            if !follow, let end { records = records.prefix { $0.offset < end } }
            records = records.prefix(remaining)
            remaining -= records.count
            let done = remaining == 0 || (!follow && result.nextOffset >= end ?? 0)
            // Ask for the next records while these are written out.
            if !done { pending = fetch(.offset(result.nextOffset), remaining) }
            for record in records { try write(record, to: output) }
            if done { return }
            if result.nextOffset >= result.logEndOffset {
                // Caught up: the next fetch waits, so let the reader see everything so far.
                try output.flush()
            }
        }
    }

    private func write(_ record: ImmutaRecord, to output: OutputWriter) throws {
        try record.payload.withUnsafeReadableBytes { payload in
            switch format {
            case .lines:
                try output.write(payload)
                try output.write(byte: UInt8(ascii: "\n"))
            case .raw:
                try output.write(payload)
            case .json:
                try output.write(#"{"offset":"#)
                try output.write(decimal: record.offset)
                try output.write(#","timestamp":""#)
                try output.write(timestamp: record.timestamp)
                if UTF8Validation.isValid(payload) {
                    try output.write(#"","payload":"#)
                    try output.write(jsonString: payload)
                } else {
                    try output.write(#"","payload_base64":"#)
                    try output.write(base64JSONString: payload)
                }
                try output.write("}\n")
            }
        }
    }
}
