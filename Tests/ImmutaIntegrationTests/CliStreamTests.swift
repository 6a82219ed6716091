import Foundation
import Immuta
import ImmutaDaemonTesting
import NIOCore
import Testing

/// Export to standard output and produce from it: `export T -`, `export T /dev/stdout` and
/// `produce T --file -` (export used to write a file named `-`, and to fail truncating
/// /dev/stdout; `--file -` failed).
@Suite(.timeLimit(.minutes(5))) struct CliStreamTests {
    @Test func exportStreamsEitherLayoutByteForByte() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        // Empty records, a record over 1 MiB, and many small ones.
        let big = String(repeating: "b", count: (1 << 20) + 17)
        let lines = [""] + (0..<3000).map { "record \($0)" } + [big, ""]
        try await cli.expect(0, ["produce", "t"], stdin: Array((lines.joined(separator: "\n") + "\n").utf8))
        #expect(await cli.daemon.stop() == 0)
        let data = cli.dataDirectory
        for layout in ["plain", "header"] {
            let file = cli.dir.path + "/t.\(layout)"
            try await Cli.expect(0, ["export", "t", file, "--data-dir", data, "--layout", layout], socket: nil)
            let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            for target in ["-", "/dev/stdout"] {
                let streamed = try await Cli.expect(0, ["export", "t", target, "--data-dir", data, "--layout", layout], socket: nil)
                #expect(streamed.stdout == expected, "\(layout) to \(target): \(streamed.stdout.count) bytes, not \(expected.count)")
                #expect(streamed.stderr.contains("exported \(lines.count) records of t"), "\(streamed.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: cli.dir.path + "/-"))
            // What was streamed imports back into the same records.
            let copy = "copy-\(layout)"
            try await Cli.expect(0, ["import", copy, file, "--data-dir", data, "--create"], socket: nil)
        }
    }

    @Test func produceFileDashSendsStandardInputAsOneRecord() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none", "--max-record-bytes", "64KiB"])
        for input in ["", "one line\n", "two\nlines\n", String(repeating: "z", count: 65_536)] {
            let produced = try await cli.expect(0, ["produce", "t", "--file", "-"], stdin: Array(input.utf8))
            #expect(produced.stderr.contains("produced 1 record to t"), "\(produced.stderr)")
        }
        let refused = try await cli.expect(1, ["produce", "t", "--file", "-"], stdin: [UInt8](repeating: 0x41, count: 100_000))
        #expect(refused.stderr.contains("standard input is 100000 bytes, more than"), "\(refused.stderr)")
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        let records = try await client.fetch("t", from: .earliest, maxRecords: 10, maxBytes: 1 << 20).records
        #expect(records.map { $0.payload.readableBytes } == [0, 9, 10, 65_536])
        await client.close()
        #expect(await cli.daemon.stop() == 0)
    }
}
