import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// The offline commands (`verify`, `import`, `export`, `repair`) on a data directory: refused while
/// the daemon holds it, working once it stopped, and a repair that makes a damaged topic open again.
@Suite(.timeLimit(.minutes(15))) struct CliOfflineTests {
    /// `event-0` … in the seed format: an 8-byte little-endian size, then the payload.
    static func seed(_ payloads: [String]) -> [UInt8] {
        payloads.flatMap { payload in
            withUnsafeBytes(of: UInt64(payload.utf8.count).littleEndian, Array.init) + Array(payload.utf8)
        }
    }

    @Test func offlineCommandsOnAStoppedDaemonsDirectory() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        var daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let data = daemon.dataDirectory
        let socket = daemon.socketPath
        // Small segments, and batches of 10, so that the last segment holds many batches.
        try await Cli.expect(0, ["topic", "create", "events", "--segment-bytes", "4096"], socket: socket)
        let events = (0..<2000).map { "event-\($0)" }
        try await Cli.expect(
            0, ["produce", "events", "--batch", "10"], socket: socket, stdin: Array(events.joined(separator: "\n").utf8)
        )
        let imported = (0..<100).map { "imported-\($0)" }
        let seedFile = dir.path + "/imported.immuta"
        try Data(Self.seed(imported)).write(to: URL(fileURLWithPath: seedFile))
        let exportFile = dir.path + "/events.immuta"
        try await Cli.expect(
            0, ["consume", "events", "--group", "audit", "--from", "earliest", "--format", "raw"], socket: socket)

        // While the daemon runs, every offline command is refused and names it.
        for command in [
            ["verify", "--data-dir", data], ["import", "events", seedFile, "--data-dir", data],
            ["export", "events", exportFile, "--data-dir", data], ["repair", "--data-dir", data, "events", "--yes"],
        ] {
            let refused = try await Cli.expect(1, command, socket: nil)
            #expect(
                refused.stderr.contains("data directory \(data) is in use by immutad (pid \(daemon.pid))"),
                "\(command): \(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: exportFile))
        #expect(await daemon.stop() == 0)

        let verified = try await Cli.expect(0, ["verify", "--data-dir", data], socket: nil)
        #expect(verified.out.hasPrefix("events: ok (") && verified.out.contains("2000 records"), "\(verified.out)")
        let verifiedJSON = try #require(
            try await Cli.expect(0, ["verify", "--data-dir", data, "--json"], socket: nil).json() as? [String: Any])
        #expect(verifiedJSON["ok"] as? Bool == true)

        let exported = try await Cli.expect(0, ["export", "events", exportFile, "--data-dir", data], socket: nil)
        #expect(exported.out == "exported 2000 records of events (offsets 0..1999) to \(exportFile) (plain layout)\n")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: exportFile))) == Self.seed(events))
        let copied = try await Cli.expect(
            0, ["import", "copy", exportFile, "--data-dir", data, "--create"], socket: nil)
        #expect(copied.out.contains("imported 2000 records (plain layout)") && copied.out.contains("offsets 0..1999"))
        let appended = try await Cli.expect(0, ["import", "copy", seedFile, "--data-dir", data], socket: nil)
        #expect(appended.out.contains("into copy: offsets 2000..2099"), "\(appended.out)")
        let clean = try await Cli.expect(0, ["repair", "--data-dir", data, "events"], socket: nil)
        #expect(clean.stderr.contains("nothing to repair"), "\(clean.stderr)")

        // A flipped byte in the middle of the last segment, with intact batches after it: the
        // daemon refuses to open the topic.
        let topicDirectory = data + "/topics/events"
        let segments = try FileManager.default.contentsOfDirectory(atPath: topicDirectory).filter {
            $0.hasSuffix(".log")
        }.sorted()
        #expect(segments.count > 3)
        let last = topicDirectory + "/" + segments.last!
        var bytes = try Data(contentsOf: URL(fileURLWithPath: last))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: last))
        let damaged = try await Cli.expect(1, ["verify", "--data-dir", data, "events"], socket: nil)
        #expect(damaged.lines.first?.hasPrefix("events: 1 problem") == true, "\(damaged.out)")
        #expect(damaged.lines.dropFirst().first?.contains("\(last) at byte ") == true, "\(damaged.out)")
        let refusing = try await DaemonProcess.start(in: dir.path, waitUntilReady: false)
        #expect(await refusing.waitForExit() != 0)
        #expect(refusing.output.contains("immutactl repair"), "\(refusing.output)")

        // Without --yes and without a terminal to ask on, repair changes nothing.
        let unasked = try await Cli.expect(1, ["repair", "--data-dir", data, "events"], socket: nil)
        #expect(unasked.stderr.contains("not a terminal") && unasked.stderr.contains("--yes"), "\(unasked.stderr)")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: last))) == [UInt8](bytes))

        let repaired = try await Cli.expect(0, ["repair", "--data-dir", data, "events", "--yes"], socket: nil)
        #expect(repaired.lines.first?.hasPrefix("events: 1 problem") == true, "\(repaired.out)")
        #expect(repaired.out.contains("repaired topic events:\n  \(last): "), "\(repaired.out)")
        #expect(repaired.lines.last?.hasPrefix("events: ok (") == true, "\(repaired.out)")
        try await Cli.expect(0, ["verify", "--data-dir", data], socket: nil)

        // The daemon opens it again; what is left is a prefix of what was written.
        daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let kept = try await Cli.expect(0, ["consume", "events"], socket: socket).lines
        #expect(kept.count > 1000 && kept.count < 2000 && kept.count % 10 == 0, "whole batches before the damage")
        #expect(kept == Array(events.prefix(kept.count)))
        #expect(repaired.stderr.contains("holds offsets 0..<\(kept.count)"), "\(repaired.stderr)")
        let copy = try await Cli.expect(0, ["consume", "copy"], socket: socket)
        #expect(copy.lines == events + imported)
        // The group had committed 2000, past the new end: the repair moved it back.
        #expect(
            repaired.out.contains("group audit: committed offset 2000 was past the new end; moved to \(kept.count)"))
        let audit = try #require(
            try await Cli.expect(0, ["group", "describe", "events", "audit", "--json"], socket: socket).json()
                as? [String: Any])
        #expect((audit["committed_offset"] as? NSNumber)?.intValue == kept.count)
        #expect(await daemon.stop() == 0)
    }

    @Test func repairCutsDamageInsideAClosedSegment() async throws {
        let dir = TemporaryDirectory(prefix: "cli")
        var daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let data = daemon.dataDirectory
        try await Cli.expect(0, ["topic", "create", "closed", "--segment-bytes", "4096"], socket: daemon.socketPath)
        let events = (0..<1000).map { "event-\($0)" }
        try await Cli.expect(
            0, ["produce", "closed", "--batch", "10"], socket: daemon.socketPath,
            stdin: Array(events.joined(separator: "\n").utf8))
        #expect(await daemon.stop() == 0)

        // A payload byte of record 55, in the first (closed) segment. Opening checks a closed
        // segment through its sizes and last entry only, so the daemon still opens the topic.
        let first = data + "/topics/closed/00000000000000000000.log"
        let position = events.prefix(55).reduce(0) { $0 + 8 + $1.utf8.count } + 8 + 2
        var bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        bytes[position] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: first))
        let damaged = try await Cli.expect(1, ["verify", "--data-dir", data], socket: nil)
        #expect(damaged.out.contains("offset 55: a payload that fails its checksum"), "\(damaged.out)")

        let repaired = try await Cli.expect(0, ["repair", "--data-dir", data, "closed", "--yes"], socket: nil)
        #expect(repaired.out.contains("kept offsets 0..<50"), "\(repaired.out)")
        #expect(repaired.out.contains("later segments"), "\(repaired.out)")
        #expect(
            repaired.lines.last
                == "closed: ok (1 segment, 50 records, \(events.prefix(50).reduce(0) { $0 + 8 + $1.utf8.count }) bytes)"
        )
        daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        #expect(
            try await Cli.expect(0, ["consume", "closed"], socket: daemon.socketPath).lines == Array(events.prefix(50)))
        try await Cli.expect(0, ["produce", "closed"], socket: daemon.socketPath, stdin: Array("after\n".utf8))
        #expect(
            try await Cli.expect(0, ["consume", "closed", "--from", "50"], socket: daemon.socketPath).lines == ["after"]
        )
        #expect(await daemon.stop() == 0)
    }
}
