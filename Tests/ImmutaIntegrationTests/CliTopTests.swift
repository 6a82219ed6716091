import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// `immutactl top`: one snapshot when its output is not a terminal, a live view in one.
@Suite(.timeLimit(.minutes(5))) struct CliTopTests {
    /// Topics and groups whose figures the tests know: orders holds 10 records, group billing
    /// committed 4 of them (lag 6) and audit all (lag 0); quiet is empty and has no group.
    static func populate(_ socket: String) async throws {
        let client = try await ImmutaClient.connect(socketPath: socket)
        for topic in ["orders", "quiet"] { try await client.createTopic(topic, options: TopicOptions(durability: "none")) }
        try await client.produce("orders", (0..<10).map { Array("order \($0)".utf8) }, ack: .write)
        for (group, committed) in [("billing", UInt64(4)), ("audit", 10)] {
            _ = try await client.committedOffset("orders", group: group, creatingAt: .earliest)
            try await client.commit("orders", group: group, offset: committed)
        }
        await client.close()
    }

    @Test func aSnapshotListsTopicsAndGroupsWithTheirLag() async throws {
        let cli = try await CliDaemon()
        try await Self.populate(cli.socket)
        let top = try await cli.expect(0, ["top"])
        #expect(top.lines.first?.hasPrefix("immutad 0.1.0, pid \(cli.daemon.pid), up ") == true, "\(top.out)")
        let topics = Self.rows(top.lines, under: "IN/S")
        // TOPIC IN/S RECORDS SIZE (a number and a unit) NEXT-OFFSET GROUPS
        let orders = try #require(topics.first { $0.first == "orders" }, "\(top.out)")
        #expect([orders[1], orders[2], orders[5], orders[6]] == ["0", "10", "10", "2"], "\(top.out)")
        let quiet = try #require(topics.first { $0.first == "quiet" }, "\(top.out)")
        #expect([quiet[2], quiet[6]] == ["0", "0"], "\(top.out)")
        // TOPIC GROUP ACKED/S LAG IN-FLIGHT MEMBERS REDELIVERED, the most lag first.
        let groups = Self.rows(top.lines, under: "ACKED/S")
        #expect(groups == [["orders", "billing", "0", "6", "0", "0", "0"], ["orders", "audit", "0", "0", "0", "0", "0"]], "\(top.out)")
        #expect(!top.out.contains("not shown"), "\(top.out)")
        #expect(!top.out.contains("\u{1b}"), "a snapshot draws nothing: \(top.out.debugDescription)")
        #expect(await cli.daemon.stop() == 0)
    }

    /// The global `--json` before the command's name; rates measured while a producer writes.
    @Test func aJSONSnapshotParses() async throws {
        let cli = try await CliDaemon()
        try await Self.populate(cli.socket)
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        try await client.createTopic("busy", options: TopicOptions(durability: "none"))
        // Writing before top takes its first reading, and all through its second: from a process of
        // its own, which tests running beside this one in the runner cannot starve.
        try await client.produce("busy", [Array("tick".utf8)], ack: .write)
        let producer = try CliProcess(
            ["-c", "for i in $(seq 300); do echo tick; sleep 0.01; done | '\(TestBinaries.path("immutactl"))' produce busy --batch 1 --ack write"],
            socket: cli.socket, executable: "/bin/sh")
        try await GroupTesting.eventually("the producer writes") { try await client.describeTopic("busy").nextOffset > 1 }
        let top = try await cli.expect(0, ["--json", "top"])
        // It ends by itself after its 300 records.
        #expect(await producer.finish().status == 0)
        let snapshot = try #require(try top.json() as? [String: Any], "\(top.out)")
        #expect(snapshot["server"] as? String == "immutad 0.1.0")
        #expect(snapshot["socket"] as? String == cli.socket)
        #expect(((snapshot["interval_ms"] as? NSNumber)?.intValue ?? 0) >= 500)
        let daemon = try #require(snapshot["daemon"] as? [String: Any], "\(top.out)")
        #expect((daemon["pid"] as? NSNumber)?.int32Value == cli.daemon.pid)
        #expect(((daemon["connection_count"] as? NSNumber)?.intValue ?? 0) >= 2)
        #expect(((daemon["records_in_per_sec"] as? NSNumber)?.intValue ?? 0) > 0, "\(daemon)")
        #expect(((daemon["bytes_in_per_sec"] as? NSNumber)?.intValue ?? 0) > 0, "\(daemon)")
        let topics = try #require(snapshot["topics"] as? [[String: Any]])
        #expect(topics.map { $0["name"] as? String } == ["busy", "orders", "quiet"])
        func topic(_ name: String, _ field: String) -> Int? {
            (topics.first { $0["name"] as? String == name }?[field] as? NSNumber)?.intValue
        }
        #expect((topic("busy", "records_in_per_sec") ?? 0) > 0, "\(topics)")
        #expect(topic("orders", "records_in_per_sec") == 0)
        #expect(topic("orders", "records") == 10 && topic("orders", "groups") == 2)
        let groups = try #require(snapshot["groups"] as? [[String: Any]])
        #expect(groups.map { $0["group"] as? String } == ["audit", "billing"])
        let lags = groups.map { [$0["committed_offset"], $0["next_offset"], $0["lag"]].map { ($0 as? NSNumber)?.intValue } }
        #expect(lags == [[10, 10, 0], [4, 10, 6]])
        await client.close()
        #expect(await cli.daemon.stop() == 0)
    }

    /// q, Q and Ctrl-C each end the live view after a few refreshes, with status 0 and the
    /// terminal as it was.
    @Test(arguments: ["q", "Q", "\u{03}"])
    func theLiveViewRefreshesUntilAKeyEndsIt(key: String) async throws {
        let cli = try await CliDaemon()
        try await Self.populate(cli.socket)
        let session = try TerminalSession(["top"], socket: cli.socket, width: 80, height: 24)
        try await session.waitForOutput("three screens") { Self.screens($0).count >= 3 }
        #expect(session.localModes & tcflag_t(ICANON | ECHO | ISIG) == 0, "keys are read one by one, without echo")
        let screen = Self.screens(session.output)[1]
        #expect(screen[0].hasSuffix("q quits") && screen[0].count == 80, "\(screen)")
        #expect(screen.contains { $0.split(separator: " ") == ["orders", "billing", "0", "6", "0", "0", "0"] }, "\(screen)")
        session.type(key)
        let (status, stderr) = try await session.waitForExit()
        #expect(status == 0, "\(stderr)")
        #expect(session.localModes == session.initialLocalModes)
        try await session.waitForOutput("the cursor and the normal screen back, last") { $0.hasSuffix("\u{1b}[?25h\u{1b}[?1049l") }
        #expect(await cli.daemon.stop() == 0)
    }

    /// A signal from elsewhere ends the live view the same way, with the status of the signal.
    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aSignalEndsTheLiveViewAndRestoresTheTerminal(signal: Int32) async throws {
        let cli = try await CliDaemon()
        let session = try TerminalSession(["top"], socket: cli.socket, width: 80, height: 24)
        try await session.waitForOutput("a screen") { !Self.screens($0).isEmpty }
        kill(session.pid, signal)
        let (status, stderr) = try await session.waitForExit()
        #expect(status == 128 + signal, "\(stderr)")
        #expect(session.localModes == session.initialLocalModes)
        try await session.waitForOutput("the cursor and the normal screen back, last") { $0.hasSuffix("\u{1b}[?25h\u{1b}[?1049l") }
        #expect(await cli.daemon.stop() == 0)
    }

    /// The daemon stopping under the live view, and not coming back within the reconnection bound
    /// (1 s here), ends it as an unreachable daemon does (69), the terminal restored first.
    @Test func theDaemonGoingAwayEndsTheLiveView() async throws {
        let cli = try await CliDaemon()
        let session = try TerminalSession(
            ["top"], socket: cli.socket, width: 80, height: 24, environment: ["IMMUTA_RECONNECT_TIMEOUT": "1s"])
        try await session.waitForOutput("a screen") { !Self.screens($0).isEmpty }
        #expect(await cli.daemon.stop() == 0)
        let (status, stderr) = try await session.waitForExit()
        #expect(status == 69, "\(stderr)")
        #expect(session.localModes == session.initialLocalModes)
        try await session.waitForOutput("the cursor and the normal screen back, last") { $0.hasSuffix("\u{1b}[?25h\u{1b}[?1049l") }
    }

    /// 40 topics do not fit in 24 lines: the screen shows what fits and says how many topics it
    /// left out, long names are shortened to the width, and a resize is followed. The snapshot
    /// still lists them all.
    @Test func rowsThatDoNotFitAreCountedOnALine() async throws {
        let cli = try await CliDaemon()
        try await Self.populate(cli.socket)
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        let longName = "a-long-topic-name-" + String(repeating: "x", count: 100)
        for name in (0..<37).map({ "topic-\($0 < 10 ? "0" : "")\($0)" }) + [longName] {
            try await client.createTopic(name, options: TopicOptions(durability: "none"))
        }
        await client.close()
        let session = try TerminalSession(["top"], socket: cli.socket, width: 80, height: 24)
        try await session.waitForOutput("two screens") { Self.screens($0).count >= 2 }
        let screen = Self.screens(session.output)[1]
        #expect(screen.count <= 24 && screen.allSatisfy { $0.count <= 80 }, "\(screen)")
        let title = try #require(screen.firstIndex { $0.hasPrefix("TOPIC") && $0.contains(" IN/S ") }, "\(screen)")
        let noteLine = try #require(screen.firstIndex { $0.contains("more topics not shown (40 in all)") }, "\(screen)")
        let left = try #require(Int(screen[noteLine].split(separator: " ")[1]), "\(screen[noteLine])")
        let shown = noteLine - title - 1
        #expect(shown + left == 40 && shown >= 10, "\(screen)")
        #expect(screen.contains { $0.hasPrefix("a-long-topic-name-xxx") && $0.contains("…") }, "\(screen)")
        #expect(Self.rows(screen, under: "ACKED/S").count == 2, "the groups keep their rows: \(screen)")

        session.resize(width: 50, height: 12)
        try await session.waitForOutput("a screen of 50×12") { output in
            Self.screens(output).contains { $0.count <= 12 && $0.allSatisfy { $0.count <= 50 } && $0.contains { $0.contains("not shown") } }
        }
        session.type("q")
        #expect(try await session.waitForExit().status == 0)

        let snapshot = try await cli.expect(0, ["top"])
        #expect(snapshot.lines.filter { $0.hasPrefix("topic-") || $0.hasPrefix(longName + " ") }.count == 38, "\(snapshot.out)")
        #expect(!snapshot.out.contains("not shown"))
        #expect(await cli.daemon.stop() == 0)
    }

    /// No daemon behind the socket: the same message and status as every command, in a terminal
    /// too, where the screen is left alone.
    @Test func anUnreachableDaemonExits69() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        let file = dir.path + "/not-a-socket"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for socket in [dir.path + "/nothing-here.sock", "/nonexistent/dir/immuta.sock", file, dir.path] {
            let result = try await Cli.expect(69, ["top", "--socket", socket], socket: nil)
            #expect(result.stderr.hasPrefix("Error: cannot connect to immutad at \(socket): "), "\(result.stderr)")
            #expect(result.out.isEmpty)
            let session = try TerminalSession(["top", "--socket", socket], socket: socket, width: 80, height: 24)
            let (status, stderr) = try await session.waitForExit()
            #expect(status == 69 && stderr.contains("cannot connect to immutad at \(socket)"), "\(stderr)")
            #expect(session.output.isEmpty && session.localModes == session.initialLocalModes)
        }
    }

    /// The rows of the table whose title names `column`, split into words.
    static func rows(_ lines: [String], under column: String) -> [[String]] {
        guard let title = lines.firstIndex(where: { $0.hasPrefix("TOPIC") && $0.contains(" \(column) ") }) else { return [] }
        return lines[(title + 1)...].prefix { !$0.isEmpty }.map { $0.split(separator: " ").map(String.init) }
    }

    /// The screens drawn so far, as lines without escape codes: each runs from the cursor going
    /// home to the rest of the screen being erased. Only full screens count (the first line names
    /// the daemon's pid), not the one shown while the first figures are read.
    static func screens(_ output: String) -> [[String]] {
        output.components(separatedBy: "\u{1b}[H").dropFirst().compactMap { chunk -> [String]? in
            guard let end = chunk.range(of: "\u{1b}[J") else { return nil }
            let text = chunk[..<end.lowerBound].replacingOccurrences(of: "\u{1b}[K", with: "").replacingOccurrences(of: "\r", with: "")
            return text.components(separatedBy: "\n")
        }.filter { $0.first?.contains(", pid ") == true }
    }
}
