import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// `immutactl produce` and `consume` as child processes against a real daemon.
@Suite(.timeLimit(.minutes(15))) struct CliProduceConsumeTests {
    @Test func concurrentProduceProcessesStoreEveryLineOnceInOrder() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "shared", "--durability", "none"])
        let processes = 4
        let linesEach = 3000
        let inputs = (0..<processes).map { p in (0..<linesEach).map { "p\(p)-line-\($0)" } }
        // Small batches, so that the processes' batches interleave in the log.
        let runs = try inputs.enumerated().map { p, lines in
            try CliProcess(
                ["produce", "shared", "--batch", "\(7 + p * 13)", "--ack", p % 2 == 0 ? "write" : "fsync"],
                socket: cli.socket, stdin: Array((lines.joined(separator: "\n") + "\n").utf8))
        }
        var results: [CliResult] = []
        for run in runs { results.append(await run.finish()) }

        let consumed = try await cli.expect(0, ["consume", "shared", "--format", "json"]).jsonLines()
        #expect(consumed.count == processes * linesEach)
        var offsetOf: [String: UInt64] = [:]
        for object in consumed {
            let payload = try #require(object["payload"] as? String)
            #expect(offsetOf[payload] == nil, "\(payload) stored twice")
            offsetOf[payload] = try #require((object["offset"] as? NSNumber)?.uint64Value)
        }
        for (p, result) in results.enumerated() {
            #expect(result.status == 0, "producer \(p): \(result.stderr)")
            let offsets = try inputs[p].map { try #require(offsetOf[$0], "\($0) missing") }
            #expect(offsets == offsets.sorted(), "producer \(p)'s lines out of order")
            // stderr: `produced 3000 records to shared: offsets A..B`, the first and last line's offsets.
            #expect(result.stderr.contains("produced \(linesEach) records to shared"), "\(result.stderr)")
            #expect(Cli.producedOffsets(result.stderr) == offsets.first!...offsets.last!, "\(result.stderr)")
        }
    }

    @Test func producedRecordsRoundTripThroughEveryFormat() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "trip"])
        // Lines: an empty line, a carriage return kept in the payload, UTF-8, JSON specials, no final newline.
        let lines = ["alpha", "", "with\rreturn", "grüße ✓", #"quote " and \ backslash"#, "tab\there", "last"]
        let produced = try await cli.expect(0, ["produce", "trip"], stdin: Array(lines.joined(separator: "\n").utf8))
        #expect(Cli.producedOffsets(produced.stderr) == 0...6, "\(produced.stderr)")
        // NUL-separated: payloads with newlines, and bytes that are not UTF-8.
        let binary: [[UInt8]] = [Array("two\nlines".utf8), [0xFF, 0xFE, 0x00 + 1, 0x80], Array("plain".utf8)]
        let nulInput = binary.map { $0 + [0] }.flatMap { $0 }
        let nul = try await cli.expect(0, ["produce", "trip", "--null", "--ack", "write"], stdin: nulInput)
        #expect(Cli.producedOffsets(nul.stderr) == 7...9, "\(nul.stderr)")
        // One whole file as one record.
        let file = cli.dir.path + "/blob.bin"
        let blob = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(blob).write(to: URL(fileURLWithPath: file))
        let filed = try await cli.expect(0, ["produce", "trip", "--file", file])
        #expect(filed.stderr.contains("produced 1 record to trip: offset 10"), "\(filed.stderr)")

        let all: [[UInt8]] = lines.map { Array($0.utf8) } + binary + [blob]
        // lines: each payload and a newline.
        let asLines = try await cli.expect(0, ["consume", "trip", "--count", "7", "--format", "lines"])
        #expect(asLines.out == lines.joined(separator: "\n") + "\n")
        // raw: the payloads back to back.
        let raw = try await cli.expect(0, ["consume", "trip", "--format", "raw"])
        #expect(raw.stdout == all.flatMap { $0 })
        let rawFile = try await cli.expect(0, ["consume", "trip", "--from", "10", "--count", "1", "--format", "raw"])
        #expect(rawFile.stdout == blob)
        // json: offset, timestamp, and payload or payload_base64.
        let objects = try await cli.expect(0, ["consume", "trip", "--format", "json"]).jsonLines()
        #expect(objects.count == all.count)
        for (i, object) in objects.enumerated() {
            #expect((object["offset"] as? NSNumber)?.intValue == i)
            let timestamp = try #require(object["timestamp"] as? String)
            #expect(timestamp.count == 30 && timestamp.hasSuffix("Z"), "\(timestamp)")
            #expect(object["delivery"] == nil)
            if let text = object["payload"] as? String {
                #expect(Array(text.utf8) == all[i], "record \(i)")
                #expect(object["payload_base64"] == nil)
            } else {
                let encoded = try #require(object["payload_base64"] as? String, "record \(i): \(object)")
                #expect(Data(base64Encoded: encoded).map { [UInt8]($0) } == all[i], "record \(i)")
            }
        }
        #expect(objects[8]["payload_base64"] != nil && objects[7]["payload"] as? String == "two\nlines")
        // The same records through a group member: json adds the delivery count.
        let grouped = try await cli.expect(
            0, ["consume", "trip", "--group", "reader", "--from", "earliest", "--format", "json"]
        ).jsonLines()
        #expect(grouped.map { ($0["offset"] as? NSNumber)?.intValue } == Array(0..<all.count))
        #expect(grouped.allSatisfy { ($0["delivery"] as? NSNumber)?.intValue == 1 })
        let groupedRaw = try await cli.expect(
            0, ["consume", "trip", "--group", "raw-reader", "--from", "earliest", "--format", "raw"])
        #expect(groupedRaw.stdout == all.flatMap { $0 })
    }
}
