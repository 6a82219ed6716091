import Foundation
import ImmutaDaemonTesting
import ImmutaLocks
import ImmutaTestSupport
import Synchronization

/// `immutactl` run as if in a terminal window: its standard input and output are a pseudo-
/// terminal's slave side, of a chosen size; the test reads what it draws and types on the master
/// side. Standard error is a pipe, read at the end.
final class TerminalSession: Sendable {
    let process: Process
    private let slave: Int32
    private let stderrPipe = Pipe()
    private let reader: TerminalReader

    /// The terminal's local modes before the program started.
    let initialLocalModes: tcflag_t

    var pid: Int32 { process.processIdentifier }

    init(_ arguments: [String], socket: String, width: Int, height: Int, environment extra: [String: String] = [:]) throws {
        var (master, slave): (Int32, Int32) = (-1, -1)
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw DaemonTestError("openpty: errno \(errno)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestBinaries.path("immutactl"))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["IMMUTA_SOCKET": socket, "TERM": "xterm"]) { $1 }
            .merging(extra) { $1 }
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = stderrPipe
        self.process = process
        self.slave = slave
        initialLocalModes = Self.localModes(slave)
        reader = TerminalReader(master: master)
        do {
            try process.run()
        } catch {
            reader.stop()
            close(slave)
            throw error
        }
    }

    /// Everything the program wrote to the terminal so far.
    var output: String { reader.output }

    /// Reads the terminal until `condition` holds for everything written so far.
    func waitForOutput(_ what: String, timeout: Duration = .seconds(30), _ condition: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + TestBudget.time(timeout)
        // After the program exits, up to 5 s more for the reader to take in its last output (200 ms
        // was too little on a loaded machine).
        var exitedAt: ContinuousClock.Instant?
        while !condition(output) {
            if !process.isRunning && exitedAt == nil { exitedAt = .now }
            guard ContinuousClock.now < deadline, exitedAt.map({ ContinuousClock.now - $0 < TestBudget.time(.seconds(5)) }) ?? true else {
                let how = process.isRunning ? "" : " (immutactl exited \(process.terminationStatus))"
                throw DaemonTestError("the terminal never showed \(what)\(how); it shows:\n\(output.debugDescription)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Types `text` on the keyboard.
    func type(_ text: String) {
        reader.write(text)
    }

    /// Resizes the window, and tells the program as a terminal emulator would (SIGWINCH goes to the
    /// terminal's foreground process group; the program is not in one of this terminal's).
    func resize(width: Int, height: Int) {
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(slave, UInt(TIOCSWINSZ), &size)
        kill(pid, SIGWINCH)
    }

    /// The terminal's local modes now (echo, canonical input, signals from keys…).
    var localModes: tcflag_t { Self.localModes(slave) }

    private static func localModes(_ terminal: Int32) -> tcflag_t {
        var settings = termios()
        tcgetattr(terminal, &settings)
        return settings.c_lflag
    }

    /// Waits for the program to exit; returns its status and its standard error.
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> (status: Int32, stderr: String) {
        let (process, errors) = (process, stderrPipe.fileHandleForReading)
        return try await withDeadline("immutactl \(process.arguments ?? []) to exit", timeout: timeout) {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    let stderr = String(decoding: errors.readDataToEndOfFile(), as: UTF8.self)
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, stderr))
                }
            }
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        reader.stop()
        close(slave)
    }
}

/// Reads the pseudo-terminal's master side on a thread of its own from the start, so that the
/// program never blocks on a full terminal buffer while the test is busy elsewhere.
private final class TerminalReader: Sendable {
    private let master: Int32
    private let bytes = Locked<[UInt8]>([])
    private let stopped = Atomic<Bool>(false)

    init(master: Int32) {
        self.master = master
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !stopped.load(ordering: .acquiring) {
                var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&descriptor, 1, 50) >= 0 || errno == EINTR else { break }
                guard descriptor.revents & Int16(POLLIN) != 0 else { continue }
                let count = read(master, &chunk, chunk.count)
                if count > 0 { bytes.withLock { $0 += chunk[..<count] } }
            }
            close(master)
        }
    }

    var output: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }

    func write(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
    }

    func stop() { stopped.store(true, ordering: .releasing) }
}
