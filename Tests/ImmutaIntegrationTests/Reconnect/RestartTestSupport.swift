import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// immutad under socket activation, restarted as `systemctl restart immuta` restarts it: the
/// test holds the listening socket, and each daemon gets it as fd 3.
struct RestartingDaemon {
    let dir = TemporaryDirectory(prefix: "restart")
    let socket: HeldSocket
    let notify: NotifySocket
    private(set) var daemon: ActivatedDaemon
    private(set) var restarts = 0

    init() async throws {
        socket = try HeldSocket(path: dir.path + "/immuta.sock")
        notify = try NotifySocket(directory: dir.path, abstract: false)
        daemon = try await ActivatedDaemon.start(
            on: socket, dataDirectory: dir.path + "/data", notify: notify, logPath: dir.path + "/immutad.log")
    }

    var path: String { socket.path }
    var log: String { (try? String(contentsOfFile: dir.path + "/immutad.log", encoding: .utf8)) ?? "" }

    /// SIGTERM, wait for the exit (which must be clean), start the next daemon on the same socket
    /// and wait for its READY=1.
    mutating func restart(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let status = await daemon.stop()
        #expect(status == 0, "immutad exited \(status) at restart \(restarts + 1); its log:\n\(log.suffix(3000))", sourceLocation: sourceLocation)
        daemon = try await start()
        restarts += 1
    }

    /// Stops the daemon and starts no other: the socket stays held, as under systemd when the
    /// service fails to come back.
    func stopForGood() async -> Int32 { await daemon.stop() }

    private func start() async throws -> ActivatedDaemon {
        try await ActivatedDaemon.start(
            on: socket, dataDirectory: dir.path + "/data", notify: notify, logPath: dir.path + "/immutad.log")
    }
}

/// `immutactl` with its standard input a pipe the test writes to while it runs (a producer
/// reading lines), its output collected line by line, and its standard error read at the end.
final class PipedCli: Sendable {
    let process: Process
    let stdout: LineCollector
    let stderr: LineCollector
    private let input: FileHandle

    init(_ arguments: [String], socket: String, environment extra: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestBinaries.path("immutactl"))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(RestartBudget.environment) { $1 }
            .merging(extra) { $1 }.merging(["IMMUTA_SOCKET": socket]) { $1 }
        let (stdin, out, err) = (Pipe(), Pipe(), Pipe())
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        stdout = LineCollector(handle: out.fileHandleForReading)
        stderr = LineCollector(handle: err.fileHandleForReading)
        input = stdin.fileHandleForWriting
        self.process = process
        // A process that exits before reading all of its input must not kill the runner with SIGPIPE.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Writes to its standard input.
    func write(_ text: String) throws { try input.write(contentsOf: Data(text.utf8)) }

    /// Ends its standard input.
    func closeInput() throws { try input.close() }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit status.
    /// Waits for the process to end and for its output to be read to the end, so that ``said``
    /// holds its last words (the exit alone came before them, now and then).
    func waitForExit() async -> Int32 {
        let process = self.process
        let status = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
        let (stdout, stderr) = (self.stdout, self.stderr)
        _ = await LineCollector.wait(for: [stdout, stderr], timeout: .seconds(30)) { stdout.isClosed && stderr.isClosed }
        return status
    }

    /// What it said on standard error, for messages.
    var said: String { stderr.lines.joined(separator: "\n") }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
