import Foundation
import ImmutaDaemonTesting

/// Starts the real immutad through a tiny launcher that ties its life to the checker's: the
/// launcher forks a guard watching stdin (see ``DaemonGuard``), then execs immutad, so the pid
/// the checker holds is immutad's own and SIGKILL hits the daemon, not a wrapper.
struct DaemonLauncher: Sendable {
    /// Holds `data/`, the socket and the notify socket.
    let directory: String
    let immutad: String
    let readyTimeout: Duration

    /// What a start came to.
    enum Start {
        case ready(DaemonProcess)
        /// It exited (or never became ready) with this output.
        case refused(output: String, status: Int32?)
    }

    init(directory: String, readyTimeout: Duration = .seconds(60)) throws {
        self.directory = directory
        immutad = TestBinaries.path("immutad")
        self.readyTimeout = readyTimeout
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.script(for: immutad).write(toFile: launcherPath, atomically: true, encoding: .utf8)
        chmod(launcherPath, 0o755)
    }

    var launcherPath: String { directory + "/immutad-guarded" }
    var dataDirectory: String { directory + "/data" }
    var socketPath: String { directory + "/immuta.sock" }

    /// Starts immutad and waits until it is ready: the "accepting connections" line (which also
    /// ends the wait early if the process exits) and then READY=1 on the notify socket.
    func start() async throws -> Start {
        let notify = try NotifySocket(directory: directory, abstract: true)
        let daemon = try await DaemonProcess.start(
            in: directory, environment: ["NOTIFY_SOCKET": notify.address], waitUntilReady: false, executable: launcherPath)
        DaemonGuard.track(pid: daemon.pid)
        do {
            try await daemon.waitForOutput(containing: "accepting connections", timeout: readyTimeout)
        } catch {
            return await refused(daemon)
        }
        guard await notify.receive(until: "READY=1", timeout: .seconds(10)) != nil else { return await refused(daemon) }
        return .ready(daemon)
    }

    /// Starts immutad without waiting for anything, to kill it in the middle of recovery.
    func startUnwaited() async throws -> DaemonProcess {
        let daemon = try await DaemonProcess.start(in: directory, waitUntilReady: false, executable: launcherPath)
        DaemonGuard.track(pid: daemon.pid)
        return daemon
    }

    private func refused(_ daemon: DaemonProcess) async -> Start {
        let running = daemon.isRunning
        if running { await daemon.kill9() }
        let status = running ? nil : await daemon.waitForExit()
        DaemonGuard.track(pid: 0)
        return .refused(output: daemon.output, status: status)
    }

    /// Kills the daemon as a crash would and waits for it to be gone.
    static func kill(_ daemon: DaemonProcess) async {
        await daemon.kill9()
        DaemonGuard.track(pid: 0)
    }

    /// Stops the daemon with SIGTERM; returns its exit status, or nil if it did not exit in time
    /// (it is then killed).
    static func stop(_ daemon: DaemonProcess, timeout: Duration = .seconds(60)) async -> Int32? {
        let status = try? await withDeadline(timeout, "immutad's clean stop") { await daemon.stop() }
        if status == nil { await daemon.kill9() }
        DaemonGuard.track(pid: 0)
        return status
    }

    /// The launcher. Its guard polls once a second only to notice that immutad itself is gone
    /// (then it has nothing left to protect); the checker's death wakes it at once through EOF.
    private static func script(for immutad: String) -> String {
        // The system interpreter directly: a version manager's shim (pyenv) costs a shell per start.
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "/usr/bin/env python3"
        return """
        #!\(python)
        import os, select, signal, sys
        daemon = os.getpid()
        if os.fork() == 0:
            null = os.open("/dev/null", os.O_RDWR)
            os.dup2(null, 1)
            os.dup2(null, 2)
            while os.getppid() == daemon:
                readable, _, _ = select.select([0], [], [], 1.0)
                if readable and not os.read(0, 1):
                    os.kill(daemon, signal.SIGKILL)
                    break
            os._exit(0)
        os.execv(\(String(reflecting: immutad)), ["immutad"] + sys.argv[1:])

        """
    }
}
