import Dispatch
import Foundation
import ImmutaLocks
import Synchronization

/// How test daemons are started so that they never outlive the test runner, and see only the
/// environment a test chose.
public enum ChildLaunch {
    /// Variables passed on from the runner: the search path and what a sanitizer or coverage run
    /// needs. Anything else the runner has (NOTIFY_SOCKET, JOURNAL_STREAM, LISTEN_FDS,
    /// WATCHDOG_USEC, IMMUTA_TEST_IO_FAULTS...) would change how immutad behaves, so a test
    /// passes it explicitly or the daemon does not get it.
    public static let inheritedVariables = [
        "PATH", "IMMUTA_TEST_SANITIZER", "ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS",
        "LLVM_PROFILE_FILE",
    ]

    /// The environment a test daemon gets: the inherited variables, then `extra`.
    public static func environment(adding extra: [String: String]) -> [String: String] {
        let runner = ProcessInfo.processInfo.environment
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin"]
        for name in inheritedVariables { if let value = runner[name] { environment[name] = value } }
        return environment.merging(extra) { $1 }
    }

    /// setpriv (util-linux), which sets PR_SET_PDEATHSIG and then execs: Foundation's Process
    /// cannot run code between fork and exec itself.
    public static let setpriv: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Arguments that run `executable` with `arguments` so that the kernel SIGKILLs it when the
    /// thread that started it exits (and so when the runner dies, even by SIGKILL).
    static func command(_ executable: String, _ arguments: [String]) throws -> (String, [String]) {
        guard let setpriv else {
            throw DaemonTestError("setpriv (util-linux) is needed to tie test daemons to the runner; install util-linux")
        }
        return (setpriv, ["--pdeathsig", "KILL", "--"] + interpreted(executable) + arguments)
    }

    /// A script a test has just written is run through its `#!` interpreter, with the script as
    /// an argument, instead of being executed itself: exec of a file fails with ETXTBSY while any
    /// process holds it open for writing, and a child forked elsewhere in the runner holds the
    /// test's write descriptor until it execs, which under a loaded sanitizer run took longer than
    /// any retry allowed.
    static func interpreted(_ executable: String) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: executable) else { return [executable] }
        defer { try? handle.close() }
        let head = String(decoding: (try? handle.read(upToCount: 256)) ?? Data(), as: UTF8.self)
        guard head.hasPrefix("#!"), let line = head.dropFirst(2).split(separator: "\n", maxSplits: 1).first else {
            return [executable]
        }
        // Linux passes everything after the interpreter as one argument.
        let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
        guard let interpreter = parts.first else { return [executable] }
        return [interpreter] + parts.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) } + [executable]
    }

    /// Runs `process` on ``SpawnThread``.
    static func run(_ process: Process) async throws {
        try await SpawnThread.shared.perform { try process.run() }
    }
}

/// One thread, never ended, from which children are spawned. PR_SET_PDEATHSIG fires when the
/// *thread* that forked the child exits, not the process: spawned from a pool thread (which the
/// runtime may retire when idle) a daemon would be killed in the middle of a test.
final class SpawnThread: Sendable {
    static let shared = SpawnThread()

    private let jobs = Locked<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                ready.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
        thread.name = "immuta-test-spawner"
        thread.start()
    }

    /// Runs `body` on the spawning thread and returns what it returns.
    func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(with: Result { try body() }) } }
            ready.signal()
        }
    }
}
