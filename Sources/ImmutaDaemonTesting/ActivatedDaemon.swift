import Foundation
import ImmutaLocks
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// immutad started by socket activation on a ``HeldSocket``, as systemd starts it from
/// immuta.socket: the listening socket as fd 3, `LISTEN_FDS=1`, `LISTEN_PID` its own pid, and
/// `NOTIFY_SOCKET` for READY=1. Stopping it and starting another on the same socket is what
/// `systemctl restart immuta` does.
///
/// Foundation's `Process` cannot hand a child a descriptor beyond standard input, output and
/// error, and systemd-socket-activate execs the daemon once, so the daemon is spawned here with
/// posix_spawn and a dup2 file action.
public final class ActivatedDaemon: Sendable {
    /// The daemon's process id.
    public let pid: pid_t
    private let exit: ExitWatch

    private init(pid: pid_t) {
        self.pid = pid
        exit = ExitWatch(pid: pid)
    }

    /// Starts immutad on `socket` and waits for its READY=1 on `notify`.
    ///
    /// - Parameters:
    ///   - dataDirectory: immutad's `--data-dir`.
    ///   - logPath: where its standard output and error are appended.
    public static func start(
        on socket: HeldSocket, dataDirectory: String, notify: NotifySocket, logPath: String,
        executable: String = TestBinaries.path("immutad"), timeout: Duration = .seconds(60)
    ) async throws -> ActivatedDaemon {
        notify.drain()  // what an earlier daemon said (STOPPING=1…) is not this one's READY
        let (launcher, launcherArguments) = try ChildLaunch.command(
            "/bin/sh",
            // LISTEN_PID names the process that may take the descriptors: the shell's own pid,
            // which immutad keeps when the shell execs it.
            ["-c", "LISTEN_PID=$$; export LISTEN_PID; exec \"$0\" \"$@\"", executable, "--data-dir", dataDirectory])
        let environment = ChildLaunch.environment(adding: ["LISTEN_FDS": "1", "NOTIFY_SOCKET": notify.address])
        let descriptor = socket.descriptor
        let pid = try await SpawnThread.shared.perform {
            try spawn(launcher, arguments: launcherArguments, environment: environment, listening: descriptor, logPath: logPath)
        }
        let daemon = ActivatedDaemon(pid: pid)
        // Stretched under a sanitizer, as DaemonProcess's waits are.
        let scaled = ProcessInfo.processInfo.environment["IMMUTA_TEST_SANITIZER"] == nil ? timeout : timeout * 5
        guard await notify.receive(until: "READY=1", timeout: scaled) != nil else {
            kill(pid, SIGKILL)
            _ = await daemon.waitForExit()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw DaemonTestError("immutad (pid \(pid)) did not send READY=1 within \(scaled); its log:\n\(log.suffix(4000))")
        }
        return daemon
    }

    /// Sends SIGTERM, as `systemctl stop` does, and waits for the exit status. A daemon still
    /// running after `timeout` (stretched under a sanitizer) is killed, and
    /// ``DaemonProcess/hungStatus`` returned.
    public func stop(timeout: Duration = .seconds(60)) async -> Int32 {
        kill(pid, SIGTERM)
        let scaled = ProcessInfo.processInfo.environment["IMMUTA_TEST_SANITIZER"] == nil ? timeout : timeout * 5
        let (exit, pid) = (self.exit, self.pid)
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await exit.status() }
            group.addTask {
                // Cancelled once the daemon has exited; otherwise it is hung: kill it, which
                // ends the other task too.
                guard (try? await Task.sleep(for: scaled)) != nil else { return nil }
                kill(pid, SIGKILL)
                return DaemonProcess.hungStatus
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? DaemonProcess.hungStatus
        }
    }

    /// Waits for the daemon to exit: its exit status, or 128 + the signal that ended it.
    public func waitForExit() async -> Int32 {
        await exit.status()
    }

    deinit {
        // Only while it has not been reaped: after that the pid may be another process's.
        if exit.isRunning { kill(pid, SIGKILL) }
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np: spawn.h declares it only for _GNU_SOURCE,
    /// which the Swift Glibc module is not built with, so it is looked up by name.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// posix_spawn with the listening socket dup2'ed to 3 (which also clears its close-on-exec),
    /// and every descriptor above it closed.
    private static func spawn(
        _ executable: String, arguments: [String], environment: [String: String], listening: Int32, logPath: String
    ) throws -> pid_t {
        // dup2 onto itself would leave close-on-exec set: move the socket away from 3 first.
        let source = listening == 3 ? fcntl(listening, F_DUPFD_CLOEXEC, 10) : listening
        defer { if source != listening { close(source) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, source, 3)
        // Nothing else of the runner's: a daemon holding the write end of a pipe the test gave
        // another child would keep that child from ever seeing the end of its input.
        guard let closeFrom = Self.closeFrom, closeFrom(&actions, 4) == 0 else {
            throw DaemonTestError("posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later) is needed to start a daemon")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw DaemonTestError("posix_spawn \(executable) failed: errno \(result)") }
        return pid
    }
}

/// Reaps one child on a thread of its own and hands its status to whoever waits.
private final class ExitWatch: Sendable {
    private let state = Locked<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    init(pid: pid_t) {
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            var result = waitpid(pid, &raw, 0)
            while result < 0 && errno == EINTR { result = waitpid(pid, &raw, 0) }
            // The low 7 bits are the terminating signal (0: it exited), the next 8 the exit code;
            // -1 if the child could not be waited for.
            let status = result < 0 ? -1 : raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            let waiters = state.withLock { state in
                state.status = status
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }

    var isRunning: Bool { state.withLock { $0.status == nil } }

    func status() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}
