import Foundation
import Immuta
import NIOCore
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// `immutactl produce` into a topic on a disk that fills up: what is stored is exactly a prefix of
/// the input (no batch after a failed one lands), the count the CLI reports is the count stored,
/// and producing resumes where it stopped once space is freed, without a restart.
@Suite(.timeLimit(.minutes(5))) struct DiskFullProduceTests {
    static let lines = (0..<5_000).map { i in
        let head = "line-\(String(repeating: "0", count: 5 - String(i).count))\(i)-"
        return head + String(repeating: "x", count: 1_000 - head.count)
    }

    @Test(
        .enabled(if: Tmpfs.isAvailable, "skipped: cannot mount tmpfs (mounting needs root or CAP_SYS_ADMIN)"),
        arguments: [1_000, 100, 7])
    func aFullDiskStopsTheProducerWithoutAGap(batch: Int) async throws {
        try await Tmpfs.withMount(sizeBytes: 2 << 20) { mount in
            let daemon = try await DaemonProcess.start(in: mount)
            // Room for an operator to free later.
            let filler = mount + "/filler"
            try TestFiles.write([UInt8](repeating: 1, count: 256 << 10), to: filler)
            _ = try await Cli.expect(0, ["topic", "create", "u"], socket: daemon.socketPath)

            let input = Array(Self.lines.joined(separator: "\n").utf8) + [10]
            let result = try await Cli.run(["produce", "u", "--batch", "\(batch)"], socket: daemon.socketPath, stdin: input)
            #expect(result.status != 0, "the disk cannot hold 5 MB: \(result.stderr)")
            #expect(result.stderr.contains("No space left on device") || result.stderr.contains("errno 28"), "\(result.stderr)")

            let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            let stored = try await GroupTesting.readAll(client, "u").map { String(buffer: $0.payload) }
            #expect(!stored.isEmpty)
            #expect(stored == Array(Self.lines.prefix(stored.count)), "the stored records are the input's first \(stored.count) lines, in order")
            let reported = Self.reportedCount(result.stderr)
            #expect(reported == stored.count, "the CLI reported \(reported.map(String.init) ?? "no count") records; the topic holds \(stored.count): \(result.stderr)")

            // Freeing space lets the same daemon take the rest where it stopped.
            try TestFiles.remove(filler)
            let rest = Array(Self.lines[stored.count..<(stored.count + 100)].joined(separator: "\n").utf8) + [10]
            _ = try await Cli.expect(0, ["produce", "u"], socket: daemon.socketPath, stdin: rest)
            let after = try await GroupTesting.readAll(client, "u").map { String(buffer: $0.payload) }
            #expect(after == Array(Self.lines.prefix(stored.count + 100)))
            await client.close()
            #expect(await daemon.stop() == 0, "\(daemon.output)")
        }
    }

    /// The number in "produced N records" (or "1 record"), from the CLI's standard error.
    static func reportedCount(_ stderr: String) -> Int? {
        guard let range = stderr.range(of: "produced ") else { return nil }
        return Int(stderr[range.upperBound...].prefix { $0.isNumber })
    }
}
