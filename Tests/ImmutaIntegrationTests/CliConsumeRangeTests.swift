import Foundation
import ImmutaDaemonTesting
import Testing

/// `consume --from` as people write it, `--last`, `--to` and `--until`.
@Suite(.timeLimit(.minutes(5))) struct CliConsumeRangeTests {
    @Test func startsAndEnds() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        try await cli.expect(0, ["produce", "t"], stdin: Array((0..<10).map { "r\($0)\n" }.joined().utf8))
        let all = (0..<10).map { "r\($0)" }
        let cases: [([String], [String])] = [
            (["--from", "-3"], Array(all[7...])),
            (["--from=-3"], Array(all[7...])),
            (["--from", "-100"], all),
            (["--last", "2"], Array(all[8...])),
            (["--from", "@7"], Array(all[7...])),
            (["--from", "7"], Array(all[7...])),
            (["--from", "1h"], all),
            (["--from", "-1h"], all),
            (["--to", "3"], Array(all[..<3])),
            (["--from", "2", "--to", "5"], Array(all[2..<5])),
            (["--to", "0"], []),
            (["--to", "3", "--follow"], Array(all[..<3])),
            (["--until", "2099-01-01T00:00:00Z"], all),
            (["--until", "1h"], []),
            (["--until", "1h", "--follow"], []),
            (["--last", "4", "--to", "8", "--count", "3"], Array(all[6..<8])),
            (["--last", "4", "--count", "3"], Array(all[6..<9])),
        ]
        for (options, expected) in cases {
            let result = try await cli.expect(0, ["consume", "t"] + options)
            #expect(result.lines == expected, "\(options): \(result.lines) \(result.stderr)")
        }
        let refused: [([String], String)] = [
            (["--last", "0"], "--last 0"),
            (["--from", "-0"], "-0 records"),
            (["--from", "-3", "--last", "2"], "--last and --from"),
            (["--from", "soon"], "a time ago (90s, 1h, -10m, 7d)"),
            (["--until", "later"], "a time ago"),
            (["--group", "g", "--to", "3"], "--to and --until end a plain consume"),
        ]
        for (options, says) in refused {
            let result = try await cli.expect(64, ["consume", "t"] + options)
            #expect(result.stderr.contains(says), "\(options): \(result.stderr)")
        }
        // A group created at the last 2 records starts there.
        let member = try await cli.expect(0, ["consume", "t", "--group", "g", "--from", "-2"])
        #expect(member.lines == Array(all[8...]), "\(member.lines) \(member.stderr)")
        #expect(await cli.daemon.stop() == 0)
    }
}
