import Foundation
import ImmutaDaemonTesting
import Testing

/// A line too large for the topic is refused with its true size, however much of it was buffered
/// when the limit was passed (a 9,000,000-byte line was reported as 8454144 bytes).
@Suite(.timeLimit(.minutes(5))) struct CliOversizedRecordTests {
    @Test func anOversizedLineIsReportedWithItsWholeSize() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        let limit = 8 << 20
        for (size, ending) in [(limit + 1, "\n"), (9_000_000, "\n"), (9_000_000, ""), (20_000_001, "\nafter\n")] {
            var input = Array("first\n".utf8)
            input += [UInt8](repeating: UInt8(ascii: "x"), count: size) + Array(ending.utf8)
            let result = try await cli.expect(1, ["produce", "t"], stdin: input)
            #expect(
                result.stderr.contains("line 2 is \(size) bytes, more than the topic's max record size of \(limit) bytes"),
                "\(size): \(result.stderr)")
        }
        // The lines before each oversized one were stored, and nothing of it.
        let consumed = try await cli.expect(0, ["consume", "t"])
        #expect(consumed.lines == ["first", "first", "first", "first"])
        #expect(await cli.daemon.stop() == 0)
    }
}
