import ImmutaLocks
import Foundation
import Synchronization

/// A real immutad process for integration tests: started on a temporary data directory and
/// socket, ready once it logs that it accepts connections (no sleeping), and stopped with SIGTERM
/// or killed with SIGKILL.
public final class DaemonProcess: Sendable {
    /// The daemon's data directory.
    public let dataDirectory: String
    /// Its socket path.
    public let socketPath: String
    /// Everything it wrote to stderr so far.
    public var output: String { collector.text }
    /// Its process id.
    public var pid: Int32 { process.processIdentifier }

    private let process: Process
    private let collector: OutputCollector

    private init(dataDirectory: String, socketPath: String, process: Process, collector: OutputCollector) {
        self.dataDirectory = dataDirectory
        self.socketPath = socketPath
        self.process = process
        self.collector = collector
    }

    /// Starts immutad and waits until it accepts connections.
    ///
    /// - Parameters:
    ///   - directory: holds `data/` and `immuta.sock`.
    ///   - arguments: extra command-line arguments.
    ///   - environment: variables added to ``ChildLaunch/environment(adding:)`` (the runner's own
    ///     environment is not passed on).
    ///   - config: the text of a configuration file to start with (written to `immuta.conf`).
    ///   - waitUntilReady: wait for the "accepting connections" log line.
    public static func start(
        in directory: String, arguments: [String] = [], environment: [String: String] = [:], config: String? = nil,
        waitUntilReady: Bool = true, executable: String = TestBinaries.path("immutad"), inPlace: Bool = false
    ) async throws -> DaemonProcess {
        let dataDirectory = directory + "/data"
        let socketPath = directory + "/immuta.sock"
        var arguments = arguments
        // (A test that points the daemon at a directory that does not exist gets no file there.)
        let usable = inPlace || !FileManager.default.fileExists(atPath: directory) ? config : Self.sanitizerConfig(config, arguments: arguments)
        if let config = usable {
            let path = directory + "/immuta.conf"
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--config", path]
        }
        let process = Process()
        let (launcher, launchArguments) = try ChildLaunch.command(
            executable, ["--data-dir", dataDirectory, "--socket", socketPath] + arguments)
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = launchArguments
        process.environment = ChildLaunch.environment(adding: environment)
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let collector = OutputCollector(handle: pipe.fileHandleForReading)
        try await ChildLaunch.run(process)
        let daemon = DaemonProcess(dataDirectory: dataDirectory, socketPath: socketPath, process: process, collector: collector)
        if waitUntilReady { try await daemon.waitForOutput(containing: "accepting connections") }
        return daemon
    }

    /// Under a sanitizer (IMMUTA_TEST_SANITIZER), a test daemon allows a minute for HELLO unless
    /// the test set its own handshake_timeout, passes its own --config, or wants the daemon
    /// without a configuration file (`inPlace`): there, two runs of the whole suite had every
    /// connection opened in one moment of a machine-wide stall refused after the default 10 s.
    /// Elsewhere `config` is used as it is.
    static func sanitizerConfig(_ config: String?, arguments: [String]) -> String? {
        guard ProcessInfo.processInfo.environment["IMMUTA_TEST_SANITIZER"] != nil, !arguments.contains("--config") else {
            return config
        }
        guard let config else { return "handshake_timeout: 60s\n" }
        guard !config.contains("handshake_timeout") else { return config }
        return config + (config.hasSuffix("\n") || config.isEmpty ? "" : "\n") + "handshake_timeout: 60s\n"
    }

    /// Waits until the daemon's stderr contains `text`, failing if it exits first or the timeout passes.
    public func waitForOutput(containing text: String, timeout: Duration = .seconds(60)) async throws {
        try await collector.wait(for: text, timeout: timeout, isRunning: { self.process.isRunning })
    }

    /// Sends a signal.
    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Sends SIGTERM and waits for the exit status. A daemon still running after `timeout` is
    /// killed with SIGKILL and ``hungStatus`` returned, which no test takes for a clean exit.
    @discardableResult
    public func stop(timeout: Duration = .seconds(60)) async -> Int32 {
        signal(SIGTERM)
        let status = await waitForExit(timeout: timeout)
        if status != 0 {
            // A failed stop (a sanitizer's report, an error at shutdown) is explained where the
            // test's own expectation cannot be: the end of what the daemon wrote.
            let tail = output.split(separator: "\n", omittingEmptySubsequences: false).suffix(60).joined(separator: "\n")
            FileHandle.standardError.write(Data("immutad pid \(pid) stopped with status \(status); its last output:\n\(tail)\n".utf8))
        }
        return status
    }

    /// Kills the daemon with SIGKILL, as a crash would.
    public func kill9() async {
        signal(SIGKILL)
        _ = await waitForExit()
    }

    /// What ``waitForExit(timeout:)`` returns for a daemon that did not exit in time.
    public static let hungStatus: Int32 = -1

    /// Waits for the process to end, and for its output to be read to the end, and returns its
    /// exit status; after `timeout` (stretched under
    /// a sanitizer) it kills the daemon, logs that to stderr and returns ``hungStatus``, so that a
    /// daemon that never exits fails the test instead of hanging it.
    public func waitForExit(timeout: Duration = .seconds(60)) async -> Int32 {
        let process = self.process
        let scaled = ProcessInfo.processInfo.environment["IMMUTA_TEST_SANITIZER"] == nil ? timeout : timeout * 5
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
            let once = Locked(Optional(continuation))
            let resume: @Sendable (Int32?) -> Void = { status in once.withLock { $0.take() }?.resume(returning: status) }
            Thread.detachNewThread {
                process.waitUntilExit()
                resume(process.terminationStatus)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(scaled.components.seconds * 1000))) {
                resume(nil)
            }
        }
        if let status {
            // The exit can be seen before the last of its output has been read: wait for the
            // pipe's end, so that a test checking what the daemon said last finds it.
            await collector.waitForEnd(timeout: .seconds(10))
            return status
        }
        FileHandle.standardError.write(Data("immutad pid \(process.processIdentifier) did not exit within \(scaled): killed\n".utf8))
        kill(process.processIdentifier, SIGKILL)
        return Self.hungStatus
    }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Collects a child's output on a background thread and wakes tests waiting for a text.
final class OutputCollector: Sendable {
    private struct Waiter {
        var id: Int
        /// The text waited for; nil waits for the end of the output.
        var needle: String?
        var continuation: CheckedContinuation<Void, Never>
    }

    private let state = Locked<(text: String, closed: Bool, nextID: Int, waiters: [Waiter])>(("", false, 0, []))

    init(handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    if data.isEmpty { state.closed = true } else { state.text += String(decoding: data, as: UTF8.self) }
                    var ready: [CheckedContinuation<Void, Never>] = []
                    state.waiters.removeAll { waiter in
                        guard state.closed || waiter.needle.map(state.text.contains) == true else { return false }
                        ready.append(waiter.continuation)
                        return true
                    }
                    return ready
                }
                for continuation in ready { continuation.resume() }
                if data.isEmpty { return }
            }
        }
    }

    var text: String { state.withLock { $0.text } }

    func wait(for needle: String, timeout: Duration, isRunning: @escaping @Sendable () -> Bool) async throws {
        await waitUntil(needle, timeout: timeout)
        guard text.contains(needle) else {
            throw DaemonTestError("immutad did not print \(String(reflecting: needle)) (running: \(isRunning())); its output:\n\(text)")
        }
    }

    /// Waits until the output has ended (the last writer closed the pipe), or `timeout` passes.
    func waitForEnd(timeout: Duration) async {
        await waitUntil(nil, timeout: timeout)
    }

    private func waitUntil(_ needle: String?, timeout: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id = state.withLock { state -> Int? in
                if state.closed || needle.map(state.text.contains) == true { return nil }
                state.nextID += 1
                state.waiters.append(Waiter(id: state.nextID, needle: needle, continuation: continuation))
                return state.nextID
            }
            guard let id else {
                continuation.resume()
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                expired?.resume()
            }
        }
    }
}

/// A failure of the test harness itself.
public struct DaemonTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
