import ImmutaSystemd
import Logging
import Testing

@Suite("LoggingSetup and StderrLogHandler", .timeLimit(.minutes(5)))
struct LoggingSetupTests {
    @Test("every level name parses, in any case and with spaces around it", arguments: Logger.Level.allCases)
    func levelNames(level: Logger.Level) throws {
        #expect(try LoggingSetup.parseLevel(level.rawValue) == level)
        #expect(try LoggingSetup.parseLevel(" \(level.rawValue.uppercased())\n") == level)
    }

    @Test("an unknown level name is an error listing the valid ones")
    func unknownLevel() {
        #expect {
            try LoggingSetup.parseLevel("verbose")
        } throws: { error in
            let error = error as? SystemdError
            let expected =
                "invalid log level \"verbose\": expected one of "
                + "trace, debug, info, notice, warning, error, critical"
            return error?.code == .invalidLogLevel && error?.description == expected
        }
        #expect(throws: SystemdError.self) { try LoggingSetup.parseLevel("") }
    }

    @Test("bootstrap outside the journal writes leveled lines to standard error")
    func bootstrapToStandardError() throws {
        let time = #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"#
        let info = try ChildProcess.run([Paths.probe, "stderr", "info"])
        #expect(info.status == 0, "\(info.standardOutput)")
        #expect(info.reported["destination"] == "stderr")
        let infoLines = info.standardError.split(separator: "\n").map(String.init)
        #expect(infoLines.count == 1, "the debug line is below the level: \(info.standardError)")
        let infoLine = try Regex(time + " info  immutad: info line client_pid=7 topic=orders")
        #expect(infoLines.first?.wholeMatch(of: infoLine) != nil, "\(info.standardError)")

        let debug = try ChildProcess.run([Paths.probe, "stderr", "DEBUG"])
        let debugLines = debug.standardError.split(separator: "\n").map(String.init)
        #expect(debugLines.count == 2, "\(debug.standardError)")
        #expect(debugLines.first?.wholeMatch(of: try Regex(time + " debug immutad: debug line topic=orders")) != nil)

        let invalid = try ChildProcess.run([Paths.probe, "stderr", "loud"])
        #expect(invalid.status == 1)
        #expect(invalid.reported["error"]?.hasPrefix("invalid log level \"loud\": expected one of trace") == true)
    }

    @Test("forcing the journal chooses it; otherwise the test process, not under the journal, gets stderr")
    func destination() {
        #expect(LoggingSetup.destination(forceJournal: true) == .journal)
        #expect(
            LoggingSetup.destination(forceJournal: false) == (SystemdNotifier().isUnderJournal ? .journal : .stderr)
        )
    }

    @Test("a stderr line: UTC time with milliseconds, padded level, label, message, sorted metadata")
    func stderrLine() {
        let line = StderrLogHandler.line(
            time: (1_795_608_000, 123_999_999),
            level: .info,
            label: "immutad",
            message: "message",
            metadata: ["key": "value"]
        )
        #expect(line == "2026-11-25T12:00:00.123Z info  immutad: message key=value\n")

        let warning = StderrLogHandler.line(
            time: (951_868_799, 5_000_000),
            level: .warning,
            label: "immutad",
            message: "slow fsync",
            metadata: ["topic": "orders", "path": "/var/lib/immuta/a b", "empty": "", "client_pid": "7"]
        )
        #expect(
            warning == """
                2000-02-29T23:59:59.005Z warning immutad: slow fsync client_pid=7 empty="" \
                path="/var/lib/immuta/a b" topic=orders

                """
        )
        #expect(
            StderrLogHandler.line(time: (0, 0), level: .debug, label: "x", message: "m", metadata: [:])
                == "1970-01-01T00:00:00.000Z debug x: m\n"
        )
    }
}
