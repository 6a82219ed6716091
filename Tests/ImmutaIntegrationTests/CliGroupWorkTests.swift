import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// Consumers that acknowledge what was really handled: `consume --group --exec`, a member's own
/// `--max-in-flight`, `group pending`, `group ack`/`nack` by hand, and `group config` online.
/// (A group member used to acknowledge a record once it was written into a pipe, with no way to
/// ack only what the next program handled, no nack, no pending list, and settings fixed forever.)
@Suite(.timeLimit(.minutes(10))) struct CliGroupWorkTests {
    static func produce(_ cli: CliDaemon, _ topic: String, _ count: Int) async throws {
        try await cli.expect(0, ["topic", "create", topic, "--durability", "none"])
        try await cli.expect(0, ["produce", topic, "--ack", "write"], stdin: Array((0..<count).map { "r\($0)\n" }.joined().utf8))
    }

    /// The lines a command appended to `path`.
    static func lines(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func execAcknowledgesWhatTheCommandHandledAndReturnsWhatItFailed() async throws {
        let cli = try await CliDaemon()
        try await Self.produce(cli, "jobs", 30)
        let log = cli.dir.path + "/handled.log"
        // Offsets 7 and 13 fail, each with another way of failing; the rest succeed.
        let failures = [7: "exit 3", 13: "kill -9 $$"]
        let script = """
            payload=$(cat); echo "$IMMUTA_OFFSET $IMMUTA_DELIVERY $payload $IMMUTA_TOPIC $IMMUTA_GROUP" >> \(log)
            case $IMMUTA_OFFSET in 7) \(failures[7]!);; 13) \(failures[13]!);; esac
            """
        let result = try await cli.expect(
            0, ["consume", "jobs", "--group", "workers", "--from", "earliest", "--max-deliveries", "3", "--exec", script])
        let handled = try Self.lines(log)
        for offset in 0..<30 {
            let runs = handled.filter { $0.hasPrefix("\(offset) ") }
            let deliveries = failures[offset] == nil ? ["1"] : ["1", "2", "3"]
            #expect(runs == deliveries.map { "\(offset) \($0) r\(offset) jobs workers" }, "offset \(offset): \(runs)")
        }
        #expect(result.stderr.contains("the command exited with status 3 on offset 7 (delivery 1); returned for redelivery"), "\(result.stderr)")
        #expect(result.stderr.contains("the command was killed by signal 9 on offset 13 (delivery 3)"), "\(result.stderr)")
        #expect(result.stderr.contains("34 records handled: 28 acknowledged, 6 returned for redelivery"), "\(result.stderr)")
        // After three deliveries the two failures went to the dead-letter topic; the group is done.
        let info = try await cli.expect(0, ["group", "describe", "jobs", "workers", "--json"])
        let fields = try #require(try info.json() as? [String: Any])
        #expect((fields["committed_offset"] as? NSNumber)?.intValue == 30 && (fields["dead_lettered"] as? NSNumber)?.intValue == 2)
        let dead = try await cli.expect(0, ["consume", "jobs.dlq"])
        #expect(dead.lines == ["r7", "r13"])
    }

    @Test func execFailuresOfEveryKindReturnTheRecord() async throws {
        let cli = try await CliDaemon()
        try await Self.produce(cli, "t", 1)
        for (index, command) in ["exit 1", "exit 2", "exit 255", "no-such-command-here", "kill -TERM $$", "cat > /dev/full"].enumerated() {
            let result = try await cli.expect(0, ["consume", "t", "--group", "g\(index)", "--from", "earliest", "--count", "1", "--exec", command])
            #expect(result.stderr.contains("on offset 0 (delivery 1); returned for redelivery"), "\(command): \(result.stderr)")
            let pending = try await cli.expect(0, ["group", "pending", "t", "g\(index)", "--json"])
            let list = try #require(try pending.json() as? [String: Any])
            #expect((list["waiting"] as? NSNumber)?.intValue == 1, "\(command): \(pending.out)")
            let described = try await cli.expect(0, ["group", "describe", "t", "g\(index)", "--json"])
            #expect((try described.json() as? [String: Any])?["committed_offset"] as? NSNumber == 0, "\(command)")
        }
    }

    @Test func execBatchesHandTheCommandSeveralRecordsInOrder() async throws {
        let cli = try await CliDaemon()
        try await Self.produce(cli, "t", 25)
        let log = cli.dir.path + "/batches.log"
        let inputs = cli.dir.path + "/inputs.log"
        let result = try await cli.expect(
            0, ["consume", "t", "--group", "g", "--from", "earliest", "--batch", "10", "--exec", "echo $IMMUTA_RECORDS $IMMUTA_OFFSET $IMMUTA_LAST_OFFSET >> \(log); cat >> \(inputs)"])
        #expect(try Self.lines(inputs) == (0..<25).map { "r\($0)" }, "every record once, in order")
        for batch in try Self.lines(log) {
            let numbers = batch.split(separator: " ").compactMap { Int($0) }
            #expect(numbers.count == 3 && (1...10).contains(numbers[0]) && numbers[2] - numbers[1] + 1 == numbers[0], "\(batch)")
        }
        #expect(result.stderr.contains("25 records handled: 25 acknowledged"), "\(result.stderr)")
        let refused = try await cli.expect(64, ["consume", "t", "--group", "g", "--batch", "10"])
        #expect(refused.stderr.contains("--batch applies to --exec"), "\(refused.stderr)")
        for bad in ["0", "10001", "-1"] {
            let result = try await cli.expect(64, ["consume", "t", "--group", "g", "--exec", "true", "--batch=\(bad)"])
            #expect(result.stderr.contains("--batch"), "\(bad): \(result.stderr)")
        }
    }

    @Test func aMembersOwnMaxInFlightBoundsWhatItHoldsInAGroupThatExists() async throws {
        let cli = try await CliDaemon()
        try await Self.produce(cli, "t", 100)
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        // The group exists with the default limit (1000); each member asks for less.
        _ = try await client.committedOffset("t", group: "g", creatingAt: .earliest)
        for limit in [1, 3, 7] {
            let member = try await client.joinGroup("t", group: "g", maxInFlight: limit)
            var iterator = member.makeAsyncIterator()
            for _ in 0..<limit { _ = try await iterator.next() }
            let info = try await client.describeGroup("t", group: "g")
            #expect(info.members.map(\.inFlight) == [limit], "limit \(limit): \(info.members)")
            #expect(info.maxInFlight == 1000)
            try await member.leave()
        }
        // immutactl's --max-in-flight does the same for a group it did not create. Its output is
        // read once: records of 16 KiB fill the pipe, so it holds what it could not write.
        try await client.produce("t", (0..<100).map { [UInt8](repeating: UInt8(ascii: "a") + UInt8($0 % 26), count: 16 << 10) }, ack: .write)
        let slow = try CliProcess(["consume", "t", "--group", "g", "--follow", "--max-in-flight", "5"], socket: cli.socket)
        #expect(await !slow.firstOutput().isEmpty)
        try await GroupTesting.eventually("the member holds 5") {
            try await client.describeGroup("t", group: "g").members.map(\.inFlight) == [5]
        }
        slow.signal(SIGTERM)
        _ = await slow.finish()
        await client.close()
    }

    @Test func pendingListsHeldAndWaitingRecordsAndSettleUnsticksThem() async throws {
        let cli = try await CliDaemon()
        try await Self.produce(cli, "t", 10)
        let client = try await ImmutaClient.connect(socketPath: cli.socket, clientName: "stuck-worker")
        let member = try await client.joinGroup("t", group: "g", from: .earliest, maxInFlight: 4)
        var iterator = member.makeAsyncIterator()
        var held: [GroupMessage] = []
        for _ in 0..<4 { held.append(try #require(try await iterator.next())) }
        let listed = try await cli.expect(0, ["group", "pending", "t", "g"])
        #expect(listed.lines.first == "4 records held by members, 0 waiting for redelivery", "\(listed.out)")
        for offset in 0..<4 {
            #expect(listed.lines.contains { $0.hasPrefix("\(offset) ") || $0.contains(" \(offset)  held") }, "offset \(offset): \(listed.out)")
        }
        #expect(listed.out.contains("stuck-worker (pid \(getpid()))"), "\(listed.out)")
        let page = try await cli.expect(0, ["group", "pending", "t", "g", "--from", "2", "--limit", "1", "--json"])
        let records = try #require((try page.json() as? [String: Any])?["records"] as? [[String: Any]])
        #expect(records.count == 1 && (records[0]["offset"] as? NSNumber)?.intValue == 2 && records[0]["state"] as? String == "held")

        // By hand: skip offset 1 (a poison record), take 2 back from the member.
        #expect(try await cli.expect(0, ["group", "ack", "t", "g", "1"]).out.contains("acknowledged 1 record"))
        #expect(try await cli.expect(0, ["group", "nack", "t", "g", "2"]).out.contains("returned 1 record"))
        // The member, which did not know, acks everything it had: no error for 1 and 2.
        for message in held { message.ack() }
        try await member.flushAcks()
        // 2 came back (to the only member, with room again) as its second delivery, among the new
        // records the room made for (the ack of 1 made room before the nack of 2).
        var next: [GroupMessage] = []
        while !next.contains(where: { $0.record.offset == 2 }), next.count < 6 { next.append(try #require(try await iterator.next())) }
        #expect(next.first { $0.record.offset == 2 }?.deliveryCount == 2, "\(next.map { ($0.record.offset, $0.deliveryCount) })")
        #expect(!next.contains { $0.record.offset == 1 }, "the acknowledged record does not come back")
        for message in next { message.ack() }
        try await member.flushAcks()
        try await GroupTesting.eventually("the group commits past 4") {
            try await client.describeGroup("t", group: "g").committedOffset >= 4
        }
        // Offsets that are not pending, and bad arguments, are refused; nothing changes.
        for offsets in [["1"], ["999"], ["3", "999"]] {
            let refused = try await cli.expect(1, ["group", "ack", "t", "g"] + offsets)
            #expect(refused.stderr.contains("is not pending in group g"), "\(offsets): \(refused.stderr)")
        }
        for arguments in [["group", "ack", "t", "g"], ["group", "nack", "t", "g", "5", "5"], ["group", "pending", "t", "g", "--limit", "0"], ["group", "pending", "t", "g", "--limit", "1001"]] {
            try await cli.expect(64, arguments)
        }
        try await cli.expect(1, ["group", "pending", "t", "absent"])
        try await member.leave()
        await client.close()
    }

    @Test func groupConfigChangesEachSettingOnlineAndKeepsItAcrossARestart() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        var daemon = try await DaemonProcess.start(in: dir.path)
        let socket = daemon.socketPath
        try await Cli.expect(0, ["topic", "create", "t", "--durability", "none"], socket: socket)
        try await Cli.expect(0, ["produce", "t", "--ack", "write"], socket: socket, stdin: Array((0..<20).map { "r\($0)\n" }.joined().utf8))
        let client = try await ImmutaClient.connect(socketPath: socket)
        _ = try await client.committedOffset("t", group: "g", creatingAt: .earliest)
        let shown = try await Cli.expect(0, ["group", "config", "t", "g"], socket: socket)
        #expect(shown.out.contains("max_in_flight      1000") && shown.out.contains("ack_timeout        30s"), "\(shown.out)")
        try await Cli.expect(0, ["topic", "create", "t-failed"], socket: socket)
        let changes = ["max_in_flight=2", "ack_timeout=2m", "max_deliveries=9", "dead_letter_topic=t-failed"]
        for change in changes { try await Cli.expect(0, ["group", "config", "t", "g", "--set", change], socket: socket) }
        let expected: [String: Any] = ["max_in_flight": 2, "ack_timeout_ms": 120_000, "max_deliveries": 9, "dead_letter_topic": "t-failed"]
        func check(_ when: String) async throws {
            let json = try #require(try await Cli.expect(0, ["group", "config", "t", "g", "--json"], socket: socket).json() as? [String: Any])
            for (key, value) in expected { #expect("\(json[key] ?? "missing")" == "\(value)", "\(key) \(when)") }
        }
        try await check("after the changes")
        // Applied online: a member now holds at most 2.
        let member = try await client.joinGroup("t", group: "g")
        var iterator = member.makeAsyncIterator()
        for _ in 0..<2 { _ = try await iterator.next() }
        #expect(try await client.describeGroup("t", group: "g").members.map(\.inFlight) == [2])
        try await member.leave()
        await client.close()
        // Refused, with the range, before anything is sent; nothing changes.
        for bad in ["max_in_flight=0", "max_in_flight=1000001", "ack_timeout=50ms", "ack_timeout=25h", "ack_timeout=5", "max_deliveries=0", "max_deliveries=1001", "dead_letter_topic=../x", "colour=blue", "max_in_flight"] {
            let refused = try await Cli.expect(64, ["group", "config", "t", "g", "--set", bad], socket: socket)
            #expect(!refused.stderr.isEmpty, "\(bad)")
        }
        // The daemon refuses what only it can judge: a dead-letter topic equal to the topic.
        let same = try await Cli.expect(64, ["group", "config", "t", "g", "--set", "dead_letter_topic=t"], socket: socket)
        #expect(same.stderr.contains("must differ from the topic"), "\(same.stderr)")
        try await Cli.expect(1, ["group", "config", "t", "absent", "--set", "max_deliveries=2"], socket: socket)
        #expect(await daemon.stop() == 0)
        daemon = try await DaemonProcess.start(in: dir.path)
        try await check("after a restart")
        #expect(await daemon.stop() == 0)
    }
}
