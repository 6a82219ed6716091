import Foundation
import ImmutaDaemonTesting
import Testing

/// What an `immutactl` run printed and how it ended.
struct CliResult: Sendable {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String

    /// Standard output as text.
    var out: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard output's lines (without the empty string after a final newline).
    var lines: [String] {
        var lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
    /// Standard output parsed as one JSON value.
    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout), options: [.fragmentsAllowed]) }
    /// Each line of standard output parsed as a JSON object.
    func jsonLines() throws -> [[String: Any]] {
        try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)") }
    }
}

/// A running `immutactl` child process. Its output is read only when asked (``finish()`` or
/// ``lineCollector()``), so a test can leave a pipe unread to hold the process back.
final class CliProcess: Sendable {
    let process: Process
    let arguments: [String]
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    /// Standard output read by ``firstOutput()``, put back in front by ``finish()``.
    private let early = OutputBox()

    var pid: Int32 { process.processIdentifier }

    /// Starts `immutactl arguments…` (or `executable`) with `IMMUTA_SOCKET` set to `socket` (when
    /// given), `environment` added, and `stdin` (nil: /dev/null) on standard input.
    init(
        _ arguments: [String], socket: String?, stdin: [UInt8]? = nil, executable: String = TestBinaries.path("immutactl"),
        environment extra: [String: String] = [:]
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["IMMUTA_SOCKET"] = socket
        process.environment = environment
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        self.process = process
        self.arguments = arguments
        try process.run()
        if let input, let stdin {
            // A CLI that exits before reading all of its input (an error) must not kill the test
            // runner with SIGPIPE: the write just fails.
            _ = Glibc.signal(SIGPIPE, SIG_IGN)
            let writer = input.fileHandleForWriting
            Thread.detachNewThread {
                try? writer.write(contentsOf: Data(stdin))
                try? writer.close()
            }
        }
    }

    /// Waits until the process writes to standard output, and returns what it wrote (one read: the
    /// rest stays in the pipe until ``finish()``).
    func firstOutput() async -> [UInt8] {
        let (out, early) = (stdoutPipe.fileHandleForReading, early)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let bytes = [UInt8](out.availableData)
                early.bytes += bytes
                continuation.resume(returning: bytes)
            }
        }
    }

    /// Reads standard output line by line from now on (for a process that runs on).
    func lineCollector() -> LineCollector { LineCollector(handle: stdoutPipe.fileHandleForReading) }

    /// Sends a signal.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Reads standard output (unless a ``lineCollector()`` does) and standard error to their end
    /// and waits for the exit status.
    func finish(readingStdout: Bool = true) async -> CliResult {
        let (process, out, err) = (process, stdoutPipe.fileHandleForReading, stderrPipe.fileHandleForReading)
        let early = early
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let stdout = OutputBox()
                let reading = DispatchGroup()
                if readingStdout {
                    reading.enter()
                    Thread.detachNewThread {
                        stdout.bytes = early.bytes + [UInt8](out.readDataToEndOfFile())
                        reading.leave()
                    }
                }
                let stderr = String(decoding: err.readDataToEndOfFile(), as: UTF8.self)
                reading.wait()
                process.waitUntilExit()
                continuation.resume(
                    returning: CliResult(status: process.terminationStatus, stdout: stdout.bytes, stderr: stderr))
            }
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Bytes handed from a reader thread to the thread that waits for it (the DispatchGroup orders them).
private final class OutputBox: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// Runs `immutactl` as a child process, as a user would.
enum Cli {
    /// Runs `immutactl arguments…` to its end.
    static func run(_ arguments: [String], socket: String?, stdin: [UInt8]? = nil) async throws -> CliResult {
        try await CliProcess(arguments, socket: socket, stdin: stdin).finish()
    }

    /// Runs it and checks that it exits with `status`.
    @discardableResult
    static func expect(
        _ status: Int32, _ arguments: [String], socket: String?, stdin: [UInt8]? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CliResult {
        let result = try await run(arguments, socket: socket, stdin: stdin)
        let command = "immutactl " + arguments.joined(separator: " ")
        #expect(
            result.status == status, "\(command) exited \(result.status), not \(status); stderr: \(result.stderr)",
            sourceLocation: sourceLocation)
        return result
    }

    /// The offsets in a `produced N records to T: offsets A..B` (or `offset A`) line.
    static func producedOffsets(_ stderr: String) -> ClosedRange<UInt64>? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("produced ") }) else { return nil }
        if let range = line.range(of: "offsets ") {
            let bounds = line[range.upperBound...].split(separator: ".", omittingEmptySubsequences: true)
            guard bounds.count == 2, let first = UInt64(bounds[0]), let last = UInt64(bounds[1]) else { return nil }
            return first...last
        }
        if let range = line.range(of: "offset "), let only = UInt64(line[range.upperBound...]) { return only...only }
        return nil
    }
}

/// A daemon on a temporary directory, for the CLI tests.
struct CliDaemon {
    let dir = TemporaryDirectory(prefix: "cli")
    let daemon: DaemonProcess

    init() async throws {
        daemon = try await DaemonProcess.start(in: dir.path)
    }

    var socket: String { daemon.socketPath }
    var dataDirectory: String { daemon.dataDirectory }

    /// Runs immutactl against this daemon and checks its exit status.
    @discardableResult
    func expect(
        _ status: Int32, _ arguments: [String], stdin: [UInt8]? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CliResult {
        try await Cli.expect(status, arguments, socket: socket, stdin: stdin, sourceLocation: sourceLocation)
    }
}
