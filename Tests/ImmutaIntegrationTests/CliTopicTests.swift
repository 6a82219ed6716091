import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// `immutactl topic …` and the usage errors every command checks before it does anything.
@Suite(.timeLimit(.minutes(15))) struct CliTopicTests {
    @Test func topicCreateListDescribeDelete() async throws {
        let cli = try await CliDaemon()
        let created = try await cli.expect(
            0,
            [
                "topic", "create", "orders", "--durability", "interval:200", "--segment-bytes", "1MiB",
                "--retention-age", "7d", "--max-record-bytes", "64K",
            ])
        #expect(
            created.out == "created topic orders (durability interval:200, segments of 1 MiB, records up to 64 KiB, "
                + "retention 7d)\n")
        try await cli.expect(0, ["topic", "create", "logs"])
        try await cli.expect(0, ["produce", "orders"], stdin: Array("a\nbb\nccc\n".utf8))
        // --socket instead of IMMUTA_SOCKET.
        let duplicate = try await Cli.expect(1, ["topic", "create", "orders", "--socket", cli.socket], socket: nil)
        #expect(duplicate.stderr.contains("already exists"), "\(duplicate.stderr)")

        let described = try #require(
            try await cli.expect(0, ["topic", "describe", "orders", "--json"]).json() as? [String: Any])
        #expect(described["name"] as? String == "orders")
        #expect(described["durability"] as? String == "interval:200")
        #expect((described["segment_bytes"] as? NSNumber)?.intValue == 1 << 20)
        #expect((described["max_record_bytes"] as? NSNumber)?.intValue == 64 << 10)
        #expect((described["retention_ms"] as? NSNumber)?.intValue == 7 * 86_400_000)
        #expect(described["retention_bytes"] is NSNull)
        #expect((described["earliest_offset"] as? NSNumber)?.intValue == 0)
        #expect((described["next_offset"] as? NSNumber)?.intValue == 3)
        #expect((described["records"] as? NSNumber)?.intValue == 3)
        // Data (3 framed records) and index bytes.
        #expect(((described["bytes"] as? NSNumber)?.intValue ?? 0) >= 3 * 8 + 6)
        #expect((described["created_at"] as? String)?.hasSuffix("Z") == true)

        let listed = try #require(try await cli.expect(0, ["topic", "list", "--json"]).json() as? [[String: Any]])
        #expect(listed.map { $0["name"] as? String } == ["logs", "orders"])
        #expect(listed.map { ($0["records"] as? NSNumber)?.intValue } == [0, 3])
        #expect(listed.map { ($0["next_offset"] as? NSNumber)?.intValue } == [0, 3])
        #expect(listed.allSatisfy { $0["earliest_offset"] is NSNumber && $0["bytes"] is NSNumber })
        let table = try await cli.expect(0, ["topic", "list"])
        #expect(
            table.lines.first?.split(separator: " ") == ["NAME", "RECORDS", "NEXT", "OFFSET", "SIZE", "DURABILITY"])
        #expect(table.lines.count == 3)
        // Sizes for people: the empty topic's and the other's, in bytes with their unit.
        #expect(table.lines[1].contains(" 0 bytes "), "\(table.lines[1])")
        let ordersBytes = try #require((listed.last?["bytes"] as? NSNumber)?.uint64Value)
        #expect(table.lines[2].contains(" \(ordersBytes) bytes "), "\(table.lines[2])")

        #expect(try await cli.expect(0, ["topic", "delete", "orders"]).out == "deleted topic orders\n")
        try await cli.expect(0, ["topic", "delete", "logs"])
        #expect(try await cli.expect(0, ["topic", "list", "--json"]).out == "[]\n")
        let empty = try await cli.expect(0, ["topic", "list"])
        #expect(empty.out.isEmpty && empty.stderr == "no topics\n")
        let missing = try await cli.expect(1, ["topic", "describe", "orders"])
        #expect(missing.stderr.contains("topic_not_found"), "\(missing.stderr)")
    }

    @Test func badInputIsRefusedWithUsageStatus() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "ok"])
        func refused(_ arguments: [String], mentioning: [String], sourceLocation: SourceLocation = #_sourceLocation)
            async throws
        {
            let result = try await cli.expect(64, arguments, sourceLocation: sourceLocation)
            for text in mentioning {
                #expect(
                    result.stderr.contains(text), "\(arguments): \(result.stderr) lacks \(text)",
                    sourceLocation: sourceLocation)
            }
        }
        try await refused(
            ["topic", "create", "t", "--durability", "sometimes"], mentioning: ["none, fsync or interval:MS"])
        try await refused(["topic", "create", "t", "--durability", "interval:0"], mentioning: ["interval:MS"])
        try await refused(["topic", "create", "t", "--segment-bytes", "lots"], mentioning: ["K/KiB"])
        try await refused(["topic", "create", "t", "--retention-age", "7"], mentioning: ["ms, s, m, h or d"])
        let badNames = ["", ".hidden", "a/b", "with space", "ümlaut", "semi;colon", String(repeating: "x", count: 256)]
        for name in badNames {
            for command in [
                ["topic", "create", name], ["topic", "describe", name], ["topic", "delete", name],
                ["produce", name], ["consume", name], ["group", "describe", name, "g"], ["group", "list", name],
            ] {
                try await refused(command, mentioning: ["invalid topic name", "ASCII letters, digits"])
            }
            try await refused(["group", "delete", "ok", name], mentioning: ["invalid group name"])
        }
        try await refused(["consume", "ok", "--count=-1"], mentioning: ["--count -1 must be at least 1"])
        try await refused(["consume", "ok", "--count", "0"], mentioning: ["--count 0 must be at least 1"])
        try await refused(["consume", "ok", "--format", "xml"], mentioning: ["'lines'", "'raw'", "'json'"])
        try await refused(["consume", "ok", "--from", "yesterday"], mentioning: ["earliest, latest"])
        try await refused(["consume", "ok", "--max-in-flight", "5"], mentioning: ["--max-in-flight", "--group"])
        try await refused(
            ["consume", "ok", "--group", "g", "--ack-timeout", "soon"], mentioning: ["--ack-timeout soon", "90s"])
        try await refused(["consume", "ok", "--group", "g", "--max-deliveries", "0"], mentioning: ["1 to 65535"])
        try await refused(["produce", "ok", "--batch", "0"], mentioning: ["1 to 1000000"])
        try await refused(["produce", "ok", "--ack", "maybe"], mentioning: ["'write'", "'fsync'"])
        try await refused(["group", "reset", "ok", "g"], mentioning: ["exactly one of"])
        try await refused(
            ["group", "reset", "ok", "g", "--to-earliest", "--shift-by", "3"], mentioning: ["exclude each other"])
        try await refused(["group", "reset", "ok", "g", "--to-datetime", "noon"], mentioning: ["RFC 3339"])
        try await refused(["bench", "group", "--size", "10", "--count", "0"], mentioning: ["--count 0"])
        try await refused(["repair", "ok"], mentioning: ["--data-dir"])

        // Errors found by the daemon: exit 1 with the reason; no daemon: 69 (CliExitStatusTests).
        for arguments in [
            ["consume", "missing"], ["consume", "missing", "--group", "g"], ["group", "list", "missing"],
        ] {
            let missing = try await cli.expect(1, arguments)
            #expect(missing.stderr.contains("topic_not_found"), "\(arguments): \(missing.stderr)")
        }
        let nowhere = try await Cli.expect(
            69, ["topic", "list", "--socket", cli.dir.path + "/nowhere.sock"], socket: nil)
        #expect(nowhere.stderr.contains("no such socket"), "\(nowhere.stderr)")
    }
}
