import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// `immutactl consume --group` and `immutactl group …` against a real daemon.
@Suite(.timeLimit(.minutes(15))) struct CliGroupTests {
    @Test func twoGroupConsumersShareTheRecords() async throws {
        let cli = try await CliDaemon()
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        try await client.createTopic("work", options: TopicOptions(durability: "none"))
        let total = 20_000
        let payloads = (0..<total).map { "job-\($0)" }
        try await GroupTesting.produce(client, "work", payloads, batch: 1000)

        // The first member's output is read only once, to know that it joined: once the pipe is
        // full it blocks, holding at most --max-in-flight records, so the second member certainly
        // gets the rest to do.
        let arguments = ["consume", "work", "--group", "workers", "--from", "earliest", "--max-in-flight", "100"]
        let first = try CliProcess(arguments, socket: cli.socket)
        #expect(await !first.firstOutput().isEmpty)
        let second = try await Cli.expect(0, arguments, socket: cli.socket)
        let firstResult = await first.finish()
        #expect(firstResult.status == 0, "\(firstResult.stderr)")

        let firstLines = firstResult.lines
        let secondLines = second.lines
        #expect(!firstLines.isEmpty && !secondLines.isEmpty, "\(firstLines.count) and \(secondLines.count) records")
        #expect((firstLines + secondLines).sorted() == payloads.sorted(), "every record exactly once")
        #expect(Set(firstLines).isDisjoint(with: secondLines))
        // Each member printed its records in increasing offset order (no redeliveries happened).
        for lines in [firstLines, secondLines] {
            let numbers = lines.compactMap { Int($0.dropFirst("job-".count)) }
            #expect(numbers == numbers.sorted())
        }
        let info = try await client.describeGroup("work", group: "workers")
        #expect(info.committedOffset == UInt64(total) && info.members.isEmpty && info.inFlight == 0)
        await client.close()
    }

    @Test func groupDescribeListAndAMemberThatIsInterrupted() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "feed", "--durability", "none"])
        try await cli.expect(
            0, ["produce", "feed", "--ack", "write"], stdin: Array((0..<50).map { "f\($0)\n" }.joined().utf8))
        let member = try CliProcess(
            [
                "consume", "feed", "--group", "watchers", "--from", "earliest", "--follow", "--max-in-flight", "20",
                "--ack-timeout", "90s", "--max-deliveries", "3", "--dead-letter-topic", "feed-dead",
            ], socket: cli.socket)
        let printed = member.lineCollector()
        #expect(await LineCollector.wait(for: [printed], timeout: .seconds(60)) { printed.lines.count >= 50 })

        let described = try await cli.expect(0, ["group", "describe", "feed", "watchers", "--json"])
        let info = try #require(try described.json() as? [String: Any])
        #expect(info["topic"] as? String == "feed" && info["group"] as? String == "watchers")
        #expect((info["next_offset"] as? NSNumber)?.intValue == 50)
        for field in ["committed_offset", "lag", "in_flight", "redelivered", "dead_lettered"] {
            #expect(info[field] is NSNumber, "\(field) in \(described.out)")
        }
        #expect((info["max_in_flight"] as? NSNumber)?.intValue == 20)
        #expect((info["ack_timeout_ms"] as? NSNumber)?.intValue == 90_000)
        #expect((info["max_deliveries"] as? NSNumber)?.intValue == 3)
        #expect(info["dead_letter_topic"] as? String == "feed-dead")
        let members = try #require(info["members"] as? [[String: Any]])
        #expect(members.count == 1)
        #expect(members.first?["client"] as? String == "immutactl")
        #expect((members.first?["pid"] as? NSNumber)?.int32Value == member.pid)
        #expect(members.first?["in_flight"] is NSNumber)
        let lastSeen = try #require(members.first?["last_seen"] as? String)
        #expect(lastSeen.count == 30 && lastSeen.hasSuffix("Z"), "\(lastSeen)")

        let text = try await cli.expect(0, ["group", "describe", "feed", "watchers"])
        #expect(text.lines.contains { $0.hasPrefix("max in flight:") && $0.hasSuffix(" 20") })
        #expect(text.lines.contains { $0.hasPrefix("CLIENT") && $0.contains("LAST SEEN") })
        #expect(text.lines.contains { $0.hasPrefix("immutactl") && $0.contains(" \(member.pid) ") })
        let list = try await cli.expect(0, ["group", "list"])
        #expect(
            list.lines.first?.split(separator: " ") == [
                "TOPIC", "GROUP", "COMMITTED", "NEXT", "LAG", "IN-FLIGHT", "MEMBERS",
            ])
        #expect(list.lines.last?.split(separator: " ").first == "feed")
        #expect(list.lines.last?.split(separator: " ").last == "1")
        let listed = try #require(
            try await cli.expect(0, ["group", "list", "feed", "--json"]).json() as? [[String: Any]])
        #expect(listed.map { $0["group"] as? String } == ["watchers"])

        // SIGINT: what was printed is acknowledged, and the member leaves.
        member.signal(SIGINT)
        let ended = await member.finish(readingStdout: false)
        #expect(ended.status == 130, "\(ended.stderr)")
        let after = try #require(
            try await cli.expect(0, ["group", "describe", "feed", "watchers", "--json"]).json() as? [String: Any])
        #expect((after["committed_offset"] as? NSNumber)?.intValue == 50 && (after["lag"] as? NSNumber)?.intValue == 0)
        #expect((after["members"] as? [Any])?.isEmpty == true)
        #expect((after["in_flight"] as? NSNumber)?.intValue == 0)

        #expect(
            try await cli.expect(0, ["group", "delete", "feed", "watchers"]).out
                == "deleted group watchers of topic feed\n")
        let gone = try await cli.expect(1, ["group", "describe", "feed", "watchers"])
        #expect(gone.stderr.contains("group_not_found"), "\(gone.stderr)")
        let none = try await cli.expect(0, ["group", "list"])
        #expect(none.out.isEmpty && none.stderr == "no groups\n")
    }

    @Test func groupResetDryRunAndExecuteForEveryTarget() async throws {
        let cli = try await CliDaemon()
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        try await client.createTopic("history", options: TopicOptions(durability: "none"))
        // Ten batches, so that records have distinct append times.
        for batch in 0..<10 {
            try await client.produce("history", (0..<10).map { Array("h-\(batch * 10 + $0)".utf8) }, ack: .write)
        }
        // The group, made by a member that takes 40 records.
        let taken = try await cli.expect(
            0, ["consume", "history", "--group", "replay", "--from", "earliest", "--count", "40"])
        #expect(taken.lines == (0..<40).map { "h-\($0)" })
        func committed() async throws -> UInt64 {
            try await client.describeGroup("history", group: "replay").committedOffset
        }
        #expect(try await committed() == 40)

        // Record 30's append time, as immutactl prints it: the first record of the fourth batch.
        let printed30 = try await cli.expect(
            0, ["consume", "history", "--from", "30", "--count", "1", "--format", "json"])
        let time = try #require(try printed30.jsonLines().first?["timestamp"] as? String)
        let targets: [([String], UInt64)] = [
            (["--to-earliest"], 0), (["--to-latest"], 100), (["--to-offset", "25"], 25),
            (["--to-datetime", time], 30), (["--shift-by", "-5"], 25), (["--shift-by=7"], 32),
            (["--shift-by", "1000"], 100),
        ]
        for (target, expected) in targets {
            let current = try await committed()
            let base = ["group", "reset", "history", "replay"] + target
            let dryRun = try await cli.expect(0, base)
            #expect(dryRun.lines.first?.split(separator: " ") == ["TOPIC", "GROUP", "CURRENT-OFFSET", "NEW-OFFSET"])
            #expect(
                dryRun.lines.dropFirst().first?.split(separator: " ") == [
                    "history", "replay", "\(current)", "\(expected)",
                ], "\(target)")
            #expect(dryRun.out.contains("dry run: nothing changed; add --execute to apply"))
            #expect(try await committed() == current, "a dry run of \(target) changed the group")
            let executed = try await cli.expect(0, base + ["--execute"])
            #expect(
                executed.lines.dropFirst().first?.split(separator: " ") == [
                    "history", "replay", "\(current)", "\(expected)",
                ])
            #expect(
                executed.out.contains("reset group replay of topic history: committed offset \(current) -> \(expected)")
            )
            #expect(!executed.out.contains("dry run"))
            #expect(try await committed() == expected, "reset \(target)")
        }
        let outside = try await cli.expect(
            1, ["group", "reset", "history", "replay", "--to-offset", "101", "--execute"])
        #expect(outside.stderr.contains("offset_out_of_range"), "\(outside.stderr)")

        // With a live member, dry runs and resets are refused unless forced.
        try await cli.expect(0, ["group", "reset", "history", "replay", "--to-offset", "90", "--execute"])
        let member = try CliProcess(["consume", "history", "--group", "replay", "--follow"], socket: cli.socket)
        let printed = member.lineCollector()
        #expect(await LineCollector.wait(for: [printed], timeout: .seconds(60)) { printed.lines.count >= 10 })
        // Its acks follow the output; a forced reset before they arrive would make the daemon refuse them.
        try await GroupTesting.eventually("the member's acks arrived") { try await committed() == 100 }
        for extra in [[], ["--execute"]] {
            let busy = try await cli.expect(1, ["group", "reset", "history", "replay", "--to-earliest"] + extra)
            #expect(busy.stderr.contains("active members") && busy.stderr.contains("group_busy"), "\(busy.stderr)")
        }
        let deleting = try await cli.expect(1, ["group", "delete", "history", "replay"])
        #expect(deleting.stderr.contains("group_busy"), "\(deleting.stderr)")
        let forced = try await cli.expect(
            0, ["group", "reset", "history", "replay", "--to-offset", "95", "--execute", "--force"])
        #expect(forced.out.contains("-> 95"))
        // The member is handed the records from 95 again.
        #expect(await LineCollector.wait(for: [printed], timeout: .seconds(60)) { printed.lines.count >= 15 })
        #expect(printed.lines.suffix(5) == (95..<100).map { "h-\($0)" })
        member.signal(SIGTERM)
        #expect(await member.finish(readingStdout: false).status == 143)
        await client.close()
    }
}
