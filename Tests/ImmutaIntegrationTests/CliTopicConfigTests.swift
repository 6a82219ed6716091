import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// `immutactl topic config`: a running topic's settings changed, applied to what comes next,
/// and kept across a restart; bad values refused before anything is sent.
@Suite(.timeLimit(.minutes(5))) struct CliTopicConfigTests {
    @Test func settingsChangeWhileTheTopicRuns() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        var daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        try await Cli.expect(0, ["topic", "create", "t", "--durability", "fsync", "--retention-age", "7d"], socket: daemon.socketPath)
        let changes: [([String], String, Any?)] = [
            (["durability=none"], "durability", "none"),
            (["retention_age=none"], "retention_ms", nil),
            (["retention-bytes=1GB"], "retention_bytes", 1_000_000_000),
            (["max_record_bytes=16"], "max_record_bytes", 16),
            (["segment_bytes=8KiB", "durability=interval:250"], "segment_bytes", 8192),
            (["retention_bytes=none"], "retention_bytes", nil),
        ]
        for (sets, key, expected) in changes {
            let result = try await Cli.expect(
                0, ["topic", "config", "t", "--json"] + sets.flatMap { ["--set", $0] }, socket: daemon.socketPath)
            let json = try #require(try result.json() as? [String: Any], "\(sets)")
            if let expected = expected as? String {
                #expect(json[key] as? String == expected, "\(sets): \(json)")
            } else if let expected = expected as? Int {
                #expect((json[key] as? NSNumber)?.intValue == expected, "\(sets): \(json)")
            } else {
                #expect(json[key] is NSNull, "\(sets): \(json)")
            }
        }
        // max_record_bytes=16 applies to the next append.
        let refused = try await Cli.expect(1, ["produce", "t"], socket: daemon.socketPath, stdin: Array("this line is longer than sixteen\n".utf8))
        #expect(refused.stderr.contains("more than the topic's max record size of 16 bytes"), "\(refused.stderr)")
        let refusals: [([String], Int32, String)] = [
            (["--set", "durability=sometimes"], 64, "use none, fsync or interval:MS"),
            (["--set", "retention_age=90"], 64, "90 has no unit"),
            (["--set", "colour=blue"], 64, "not a topic setting"),
            (["--set", "segment_bytes"], 64, "write KEY=VALUE"),
            (["--set", "segment_bytes=1KiB"], 64, "[segment_size_out_of_range (28)]"),
            (["--set", "max_record_bytes=2GiB"], 64, "[invalid_request (10)]"),
        ]
        for (arguments, status, says) in refusals {
            let result = try await Cli.expect(status, ["topic", "config", "t"] + arguments, socket: daemon.socketPath)
            #expect(result.stderr.contains(says), "\(arguments): \(result.stderr)")
        }
        let missing = try await Cli.expect(1, ["topic", "config", "nope", "--set", "durability=none"], socket: daemon.socketPath)
        #expect(missing.stderr.contains("[topic_not_found (11)]"))
        #expect(daemon.output.contains("op=configure_topic"), "audited")

        // Kept in topic.json: the same after a restart.
        #expect(await daemon.stop() == 0)
        daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let shown = try #require(try await Cli.expect(0, ["topic", "config", "t", "--json"], socket: daemon.socketPath).json() as? [String: Any])
        #expect(shown["durability"] as? String == "interval:250")
        #expect((shown["segment_bytes"] as? NSNumber)?.intValue == 8192)
        #expect((shown["max_record_bytes"] as? NSNumber)?.intValue == 16)
        #expect(shown["retention_bytes"] is NSNull && shown["retention_ms"] is NSNull)
        let table = try await Cli.expect(0, ["topic", "config", "t"], socket: daemon.socketPath)
        #expect(table.lines.contains { $0.hasPrefix("segment_bytes") && $0.hasSuffix("8 KiB") }, "\(table.out)")
        #expect(await daemon.stop() == 0)
    }
}
