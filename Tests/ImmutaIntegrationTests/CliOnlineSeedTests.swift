import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// `export` and `import` through a running daemon: consistent snapshots while a producer writes,
/// both seed layouts, standard input and output, byte-identical round trips through a pipe, and
/// refusals that append nothing and name the first bad record's byte position. (Both used to be
/// offline only: export refused while immutad ran.)
@Suite(.timeLimit(.minutes(8))) struct CliOnlineSeedTests {
    /// Seed-format bytes of `payloads` (plain layout).
    static func seed(_ payloads: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for payload in payloads {
            withUnsafeBytes(of: UInt64(payload.count).littleEndian) { bytes += $0 }
            bytes += payload
        }
        return bytes
    }

    /// The header layout's 16 bytes in front of `plain`, which holds `count` records.
    static func withHeader(_ plain: [UInt8], count: Int, lastRecordAt last: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(count).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt64(count == 0 ? 0 : 16 + last).littleEndian) { bytes += $0 }
        return bytes + plain
    }

    /// Where each record of a plain seed file starts.
    static func recordStarts(_ payloads: [[UInt8]]) -> [Int] {
        var starts: [Int] = []
        var position = 0
        for payload in payloads {
            starts.append(position)
            position += 8 + payload.count
        }
        return starts
    }

    /// The count in an `exported N records` / `imported N records` line.
    static func count(in text: String, after verb: String) -> Int? {
        guard let range = text.range(of: verb + " ") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// Produces to `topic` until cancelled, in batches, returning how many records it stored.
    /// Paced (a few thousand records a second): enough to be writing all through an export or an
    /// import, without taking the CPU from the tests running beside this one.
    static func backgroundProducer(_ socket: String, _ topic: String) -> Task<Int, any Error> {
        Task {
            let client = try await ImmutaClient.connect(socketPath: socket)
            var produced = 0
            while !Task.isCancelled {
                try await client.produce(topic, (0..<50).map { Array("live \(produced + $0)".utf8) }, ack: .write)
                produced += 50
                try? await Task.sleep(for: .milliseconds(10))
            }
            await client.close()
            return produced
        }
    }

    @Test func exportIsAConsistentSnapshotInEitherLayoutWhileAProducerWrites() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        // Empty records, a record over 1 MiB, and many small ones (the round trip below has 100,000).
        let initial: [[UInt8]] = [[]] + (0..<20_000).map { Array("record \($0)".utf8) } + [[UInt8](repeating: 0x62, count: (1 << 20) + 17), []]
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        for start in stride(from: 0, to: initial.count, by: 5000) {
            try await client.produce("t", Array(initial[start..<min(start + 5000, initial.count)]), ack: .write)
        }
        let producer = Self.backgroundProducer(cli.socket, "t")
        defer { producer.cancel() }
        // What the producer adds is known too, so every snapshot can be checked byte for byte.
        func expected(_ count: Int) -> [[UInt8]] {
            count <= initial.count ? Array(initial[0..<count]) : initial + (0..<(count - initial.count)).map { Array("live \($0)".utf8) }
        }
        for layout in ["plain", "header"] {
            for target in ["file", "-", "/dev/stdout"] {
                let path = target == "file" ? cli.dir.path + "/t.\(layout)" : target
                let result = try await cli.expect(0, ["export", "t", path, "--layout", layout])
                let report = target == "file" ? result.out : result.stderr
                let count = try #require(Self.count(in: report, after: "exported"), "\(report)")
                #expect(count >= initial.count)
                let payloads = expected(count)
                var wanted = Self.seed(payloads)
                if layout == "header" { wanted = Self.withHeader(wanted, count: count, lastRecordAt: Self.recordStarts(payloads).last ?? 0) }
                let bytes = target == "file" ? [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) : result.stdout
                #expect(bytes == wanted, "\(layout) to \(target): \(bytes.count) bytes, expected \(wanted.count)")
            }
        }
        // A range, and a range the topic does not hold.
        let ranged = try await cli.expect(0, ["export", "t", "-", "--from", "10", "--to", "13"])
        #expect(ranged.stdout == Self.seed(Array(initial[10..<13])))
        let outside = try await cli.expect(1, ["export", "t", "-", "--from", "5", "--to", "999999999"])
        #expect(outside.stderr.contains("are outside topic t, which holds 0..<"), "\(outside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.dir.path + "/-"))
        // No temporary file is left next to the exported ones.
        let names = try FileManager.default.contentsOfDirectory(atPath: cli.dir.path)
        #expect(!names.contains { $0.contains("immutactl") }, "\(names)")
        await client.close()
    }

    @Test func aPipedRoundTripIsByteIdenticalWhileAProducerWrites() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        let initial: [[UInt8]] = [[]] + (0..<100_000).map { Array("r\($0)".utf8) } + [[UInt8](repeating: 7, count: (1 << 20) + 5)]
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        for start in stride(from: 0, to: initial.count, by: 5000) {
            try await client.produce("t", Array(initial[start..<min(start + 5000, initial.count)]), ack: .write)
        }
        let producer = Self.backgroundProducer(cli.socket, "t")
        let immutactl = TestBinaries.path("immutactl")
        for layout in ["plain", "header"] {
            let copy = "copy-\(layout)"
            let pipeline = try await Shell.run(
                "\(immutactl) export t - --layout \(layout) | \(immutactl) import - \(copy) --create", socket: cli.socket)
            #expect(pipeline.status == 0, "\(pipeline.stderr)")
            let imported = try #require(Self.count(in: pipeline.stdout, after: "imported"), "\(pipeline.stdout)")
            #expect(pipeline.stdout.contains("(\(layout) layout)"), "\(pipeline.stdout)")
            // The copy holds exactly the snapshot: export both and compare.
            let original = try await cli.expect(0, ["export", "t", "-", "--to", "\(imported)", "--layout", layout])
            let copied = try await cli.expect(0, ["export", copy, "-", "--layout", layout])
            #expect(copied.stdout == original.stdout, "\(layout): \(copied.stdout.count) bytes, not \(original.stdout.count)")
        }
        producer.cancel()
        _ = try await producer.value
        await client.close()
    }

    @Test func importKeepsFileOrderInAtomicChunksWhileAnotherProducerWrites() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        let payloads = (0..<20_000).map { Array("imported \($0) ".utf8) + [UInt8](repeating: 0x2e, count: $0 % 97) }
        let file = cli.dir.path + "/in.immuta"
        try Data(Self.seed(payloads)).write(to: URL(fileURLWithPath: file))
        let producer = Self.backgroundProducer(cli.socket, "t")
        let result = try await cli.expect(0, ["import", file, "t"])
        producer.cancel()
        let live = try await producer.value
        #expect(result.out.contains("imported 20000 records (plain layout) from \(file) into t: offsets "), "\(result.out)")
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        var imported: [[UInt8]] = []
        var others = 0
        var offset: UInt64 = 0
        while true {
            let batch = try await client.fetch("t", from: .offset(offset), maxRecords: 4096, maxBytes: 4 << 20)
            guard !batch.records.isEmpty else { break }
            for record in batch.records {
                if record.bytes.starts(with: Array("imported ".utf8)) { imported.append(record.bytes) } else { others += 1 }
            }
            offset = batch.nextOffset
        }
        #expect(imported == payloads, "the imported records are all there, once each, in file order")
        #expect(others == live)
        await client.close()
    }

    @Test func aMalformedFileAppendsNothingAndNamesTheBytePositionOfItsFirstBadRecord() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "kept", "--max-record-bytes", "1KiB"])
        try await cli.expect(0, ["produce", "kept"], stdin: Array("a\nb\n".utf8))
        let payloads: [[UInt8]] = [Array("one".utf8), [], Array("three33".utf8), Array("four".utf8), [0, 1, 2]]
        let good = Self.seed(payloads)
        let starts = Self.recordStarts(payloads)
        let file = cli.dir.path + "/cut.immuta"
        // Every cut point: at a record boundary the file is whole (fewer records); anywhere else the
        // record it cuts is named, and nothing is appended, and no topic is left behind.
        for cut in 1..<good.count {
            try Data(good[0..<cut]).write(to: URL(fileURLWithPath: file))
            if let whole = starts.firstIndex(of: cut) {
                let result = try await cli.expect(0, ["import", file, "fresh", "--create"])
                #expect(result.out.contains("imported \(whole == 1 ? "1 record" : "\(whole) records")"), "cut \(cut): \(result.out)")
                try await cli.expect(0, ["topic", "delete", "fresh"])
                continue
            }
            let bad = starts.last { $0 < cut }!
            for (topic, create) in [("fresh", true), ("kept", false)] {
                let result = try await cli.expect(1, ["import", file, topic] + (create ? ["--create"] : []))
                #expect(result.stderr.contains("at byte \(bad): record \(starts.firstIndex(of: bad)!)"), "cut \(cut): \(result.stderr)")
            }
            let listed = try await cli.expect(0, ["topic", "list"])
            #expect(!listed.out.contains("fresh"), "cut \(cut) left a topic behind")
        }
        // A size prefix over the topic's limit (1 KiB), at each record in turn, through standard input.
        for index in payloads.indices {
            var damaged = good
            withUnsafeBytes(of: UInt64(5000).littleEndian) { damaged.replaceSubrange(starts[index]..<starts[index] + 8, with: $0) }
            let result = try await cli.expect(1, ["import", "-", "kept", "--layout", "plain"], stdin: damaged)
            #expect(result.stderr.contains("at byte \(starts[index]): record \(index) declares 5000 bytes"), "record \(index): \(result.stderr)")
        }
        let kept = try await cli.expect(0, ["topic", "describe", "kept", "--json"])
        #expect((try kept.json() as? [String: Any])?["next_offset"] as? Int == 2, "nothing was appended to kept")
        // A header that does not match its records.
        let wrongCount = Self.withHeader(good, count: payloads.count + 1, lastRecordAt: starts.last!)
        let refused = try await cli.expect(1, ["import", "-", "kept", "--layout", "header"], stdin: wrongCount)
        #expect(refused.stderr.contains("its header declares 6 records but it holds 5"), "\(refused.stderr)")
    }

    @Test func theOlderTopicThenFileOrderStillWorks() async throws {
        let cli = try await CliDaemon()
        let file = cli.dir.path + "/old.immuta"
        try Data(Self.seed([Array("x".utf8)])).write(to: URL(fileURLWithPath: file))
        let result = try await cli.expect(0, ["import", "older", file, "--create"])
        #expect(result.stderr.contains("reading this as import \(file) older"), "\(result.stderr)")
        #expect(result.out.contains("imported 1 record (plain layout) from \(file) into older: offset 0"), "\(result.out)")
        let missing = try await cli.expect(1, ["import", cli.dir.path + "/no-such-file", "t"])
        #expect(missing.stderr.contains("no such file"), "\(missing.stderr)")
        let noTopic = try await cli.expect(1, ["import", file, "absent"])
        #expect(noTopic.stderr.contains("add --create"), "\(noTopic.stderr)")
    }
}

/// A shell pipeline, for what only a pipe between two processes shows.
enum Shell {
    static func run(_ command: String, socket: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try CliProcess(["-c", command], socket: socket, executable: "/bin/sh")
        let result = await process.finish()
        return (result.status, result.out, result.stderr)
    }
}
