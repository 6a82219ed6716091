import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a shell command (`/bin/sh -c`) with a file on its standard input, inheriting standard
/// output and error, and waits for it off the cooperative thread pool.
///
/// Written on posix_spawn rather than Foundation's Process because immutactl ignores SIGINT,
/// SIGTERM (SignalStop) and SIGPIPE (OutputWriter), ignored dispositions survive exec, and Process
/// has no way to give the child the default actions back: a command it ran could then not be
/// interrupted with Ctrl-C, nor stop writing into a closed pipe.
enum ChildCommand {
    /// How the command ended.
    enum Outcome: Equatable {
        case exited(Int32)
        case killed(signal: Int32)

        var succeeded: Bool { self == .exited(0) }

        var description: String {
            switch self {
            case .exited(let status): "exited with status \(status)"
            case .killed(let signal): "was killed by signal \(signal)"
            }
        }
    }

    /// - Parameter input: an open file, read from its current position.
    static func run(_ command: String, input: Int32, environment: [String: String]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(command, input: input, environment: environment) })
            }
        }
    }

    private static func runBlocking(_ command: String, input: Int32, environment extra: [String: String]) throws -> Outcome {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") { environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...]) }
            entry += 1
        }
        environment.merge(extra) { $1 }
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw CLIError("cannot run /bin/sh -c \(command): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw CLIError("cannot wait for \(command): \(String(cString: strerror(errno)))") }
        }
        // The wait status macros are not imported into Swift.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .killed(signal: signal)
    }
}
