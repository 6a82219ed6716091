import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A test daemon dies with the process that started it, even one killed with SIGKILL (which runs
/// no cleanup): a crashed or killed test runner must not leave daemons holding data directories.
@Suite(.timeLimit(.minutes(15))) struct DaemonLifetimeTests {
    @Test func daemonDiesWhenItsRunnerIsKilled() async throws {
        let dir = TemporaryDirectory()
        let runner = Process()
        runner.executableURL = URL(fileURLWithPath: TestBinaries.path("immuta-daemon-runner"))
        runner.arguments = [dir.path]
        runner.environment = ChildLaunch.environment(adding: [:])
        let output = Pipe()
        runner.standardOutput = output
        try runner.run()
        defer { if runner.isRunning { kill(runner.processIdentifier, SIGKILL) } }

        let reader = output.fileHandleForReading
        let line = try await withDeadline("for immuta-daemon-runner to start immutad") {
            // A blocking read: on a thread of its own, not the concurrency pool's.
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: String(decoding: reader.readLine(), as: UTF8.self)) }
            }
        }
        let pid = try #require(Int32(line.replacingOccurrences(of: "daemon pid ", with: "")), "runner printed \(String(reflecting: line))")
        defer { if Self.isAlive(pid) { kill(pid, SIGKILL) } }
        #expect(Self.isAlive(pid), "immutad (pid \(pid)) is not running before the runner is killed")
        #expect(Self.commandLine(pid).contains("immutad"), "pid \(pid) is \(Self.commandLine(pid))")

        kill(runner.processIdentifier, SIGKILL)
        let died = await eventually(timeout: TestBudget.time(.seconds(20))) { !Self.isAlive(pid) }
        #expect(died, "immutad (pid \(pid)) outlived its runner: \(Self.commandLine(pid))")
    }

    /// Whether `pid` runs (a zombie, dead but not yet reaped by its new parent, does not).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        return state != "Z" && state != "X"
    }

    static func commandLine(_ pid: Int32) -> String {
        let raw = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }
}

extension FileHandle {
    /// Bytes up to the first newline (or the end), read one at a time: the rest is not consumed.
    fileprivate func readLine() -> [UInt8] {
        var line: [UInt8] = []
        while let byte = try? read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") { line.append(first) }
        return line
    }
}
