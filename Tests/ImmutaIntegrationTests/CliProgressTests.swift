import Foundation
import ImmutaDaemonTesting
import Testing

/// Long work shows progress on a terminal (one line redrawn: records, bytes, records/s, share
/// done and ETA) and ends with its summary; without a terminal, plain lines and no control codes.
/// The terminal is a pseudo-terminal from util-linux's `script`.
@Suite(.timeLimit(.minutes(6))) struct CliProgressTests {
    /// Runs `immutactl arguments` with standard error (and output) on a pseudo-terminal; `shell`
    /// adds redirections. Returns everything the terminal showed.
    static func onTerminal(_ cli: CliDaemon, _ command: String) async throws -> CliResult {
        let line = "cd \(cli.dir.path) && \(TestBinaries.path("immutactl")) \(command)"
        let process = try CliProcess(
            ["-qfec", line, "/dev/null"], socket: cli.socket, executable: "/usr/bin/script",
            environment: ["IMMUTA_PROGRESS_INTERVAL_MS": "0"])
        return await process.finish()
    }

    @Test func produceConsumeExportAndImportDrawAProgressLineOnATerminal() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        let count = 50_000
        try Data((0..<count).map { "line \($0)\n" }.joined().utf8).write(to: URL(fileURLWithPath: cli.dir.path + "/in.txt"))
        let commands: [(String, String, String)] = [
            ("produce t --ack write < in.txt", "produce t: ", "produced \(count) records to t: offsets 0..\(count - 1)"),
            ("consume t > out.txt", "consume t: ", "consumed \(count) records of t: offsets 0..\(count - 1)"),
            ("export t out.immuta", "export t: ", "exported \(count) records of t (offsets 0..\(count - 1)) to out.immuta"),
            ("import out.immuta u --create", "import into u: ", "imported \(count) records (plain layout) from out.immuta into u"),
        ]
        for (command, label, summary) in commands {
            let shown = try await Self.onTerminal(cli, command)
            #expect(shown.status == 0, "\(command): \(shown.out)")
            let frames = shown.out.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix(label) }
            #expect(!frames.isEmpty, "\(command) drew no progress line: \(shown.out.prefix(300))")
            for frame in frames {
                #expect(frame.contains(" records") && frame.contains("records/s"), "\(command): \(frame)")
                #expect(!frame.contains("\n"), "a progress frame stays on its line: \(frame)")
            }
            // Totals are known for all four (the file's size for produce): a share done.
            #expect(frames.contains { $0.contains("%") }, "\(command): \(frames.last ?? "")")
            // The line is cleared before the summary, which stands alone on its line.
            let lines = shown.out.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
            #expect(lines.contains { $0.hasSuffix(summary) || $0.contains("\u{1B}[K" + summary) }, "\(command): \(shown.out.suffix(300))")
        }
        let consumed = try String(contentsOfFile: cli.dir.path + "/out.txt", encoding: .utf8)
        #expect(consumed == (0..<count).map { "line \($0)\n" }.joined(), "progress on standard error left the records alone")
        // Offline: verify reads the segments with a share done by their bytes.
        #expect(await cli.daemon.stop() == 0)
        let verified = try await Self.onTerminal(cli, "verify --data-dir \(cli.dataDirectory)")
        #expect(verified.status == 0, "\(verified.out)")
        let frames = verified.out.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix("verify: ") }
        #expect(frames.contains { $0.contains("%") && $0.contains("records/s") }, "\(verified.out.prefix(300))")
        #expect(verified.out.contains("t: ok (") && verified.out.contains("u: ok ("), "\(verified.out.suffix(300))")
    }

    @Test func benchmarksDrawAProgressLineOnATerminalAndNoneWithJSON() async throws {
        let cli = try await CliDaemon()
        let count = 300_000
        let commands: [(String, [String], String)] = [
            ("bench produce --size 10 --count \(count) --topic b --keep", ["bench produce: "], "produce: \(count) records of 10 bytes"),
            ("bench consume --size 10 --count \(count) --topic b --keep", ["bench consume: "], "consume: \(count) records of 10 bytes"),
            // A fresh topic: the fill before the measured run shows its own line.
            ("bench group --size 10 --count \(count) --topic g", ["filling g: ", "bench group: "], "group: \(count) records of 10 bytes"),
        ]
        for (command, labels, summary) in commands {
            let shown = try await Self.onTerminal(cli, command)
            #expect(shown.status == 0, "\(command): \(shown.out)")
            for label in labels {
                let frames = shown.out.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix(label) }
                #expect(frames.contains { $0.contains(" of 300,000 records") && $0.contains("%") }, "\(command): \(label) \(frames.last ?? shown.out.prefix(300).description)")
            }
            #expect(shown.out.contains(summary), "\(command): \(shown.out.suffix(300))")
        }
        // --json: one object on standard output and nothing drawn on the terminal.
        let json = try await Self.onTerminal(cli, "bench produce --size 10 --count \(count) --json")
        #expect(json.status == 0, "\(json.out)")
        #expect(!json.out.contains("bench produce: ") && !json.out.contains("\u{1B}"), "\(json.out.prefix(300))")
        #expect(json.out.contains("\"records_per_sec\""), "\(json.out)")
    }

    @Test func withoutATerminalProgressIsPlainLinesAndRecordsToATerminalShowNone() async throws {
        let cli = try await CliDaemon()
        try await cli.expect(0, ["topic", "create", "t", "--durability", "none"])
        try await cli.expect(0, ["produce", "t", "--ack", "write"], stdin: Array((0..<50_000).map { "r\($0)\n" }.joined().utf8))
        let process = try CliProcess(
            ["export", "t", cli.dir.path + "/plain.immuta"], socket: cli.socket, environment: ["IMMUTA_PROGRESS_INTERVAL_MS": "1"])
        let result = await process.finish()
        #expect(result.status == 0)
        #expect(!result.stderr.contains("\r") && !result.stderr.contains("\u{1B}"), "no control codes: \(result.stderr.prefix(200))")
        #expect(result.out.contains("exported 50000 records"))
        // Records printed on the terminal itself: no progress line among them.
        let shown = try await Self.onTerminal(cli, "consume t --count 20000")
        #expect(shown.status == 0)
        #expect(!shown.out.contains("consume t: "), "\(shown.out.suffix(200))")
    }
}
