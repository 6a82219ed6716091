import Glibc

/// A failure of the test machinery itself (a socket that would not bind, a child that would not start).
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String, errno number: Int32 = errno) {
        self.description = "\(description): \(String(cString: strerror(number)))"
    }
}

/// What a finished child printed and how it ended.
struct ChildResult {
    let pid: pid_t
    /// The exit status, or 128 + the signal number when a signal ended it.
    let status: Int32
    let standardOutput: String
    let standardError: String

    /// The `key=value` lines of standard output, the probe's way of reporting.
    var reported: [String: String] {
        var values: [String: String] = [:]
        for line in standardOutput.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }
}

/// A child process started with posix_spawn: an explicit environment (nothing of the test process's, so
/// NOTIFY_SOCKET and friends are set for the child only), chosen descriptors at chosen numbers, and its
/// output captured in files so that it can never block on a full pipe.
struct ChildProcess {
    let pid: pid_t
    private let outputDirectory: TemporaryDirectory

    /// Starts `arguments[0]`, searched in PATH, with `environment` added to a minimal PATH.
    /// `descriptors` maps a descriptor number in the child to one of the test process's descriptors.
    init(_ arguments: [String], environment: [String: String] = [:], descriptors: [Int32: Int32] = [:]) throws {
        outputDirectory = try TemporaryDirectory()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputDirectory.path + "/stdout", O_WRONLY | O_CREAT, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, outputDirectory.path + "/stderr", O_WRONLY | O_CREAT, 0o600)
        // Move every source above the targets first, so that no dup2 overwrites a later source.
        var moved: [Int32] = []
        defer {
            for descriptor in moved { close(descriptor) }
        }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            let high = fcntl(source, F_DUPFD_CLOEXEC, 100)
            guard high >= 0 else { throw HarnessError("could not duplicate fd \(source)") }
            moved.append(high)
            posix_spawn_file_actions_adddup2(&actions, high, target)
        }
        var environment = environment
        if environment["PATH"] == nil {
            environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for string in argv + envp { free(string) }
        }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        guard result == 0 else { throw HarnessError("could not start \(arguments[0])", errno: result) }
        self.pid = pid
    }

    /// Runs a command to completion.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        descriptors: [Int32: Int32] = [:]
    ) throws -> ChildResult {
        try ChildProcess(arguments, environment: environment, descriptors: descriptors).wait()
    }

    /// Waits for the child to exit and collects its output.
    func wait() throws -> ChildResult {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw HarnessError("waitpid \(pid) failed") }
        }
        let signal = status & 0x7f
        return ChildResult(
            pid: pid,
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            standardOutput: try readFile(outputDirectory.path + "/stdout"),
            standardError: try readFile(outputDirectory.path + "/stderr")
        )
    }
}

/// The contents of a file as UTF-8 text.
func readFile(_ path: String) throws -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw HarnessError("could not open \(path)") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(descriptor, &chunk, chunk.count)
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { throw HarnessError("could not read \(path)") }
        if count == 0 { break }
        bytes += chunk[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Writes text to a file, replacing it.
func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard descriptor >= 0 else { throw HarnessError("could not create \(path)") }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    guard write(descriptor, bytes, bytes.count) == bytes.count else { throw HarnessError("could not write \(path)") }
}

/// Whether a path exists (without following a final symlink).
func fileExists(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0
}

/// A fresh directory under /tmp, removed with everything in it when the value is destroyed.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/immuta-systemd-tests.XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw HarnessError("could not create a temporary directory") }
        path = String(cString: created)
    }

    deinit {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        let words: [String] = ["rm", "-rf", "--", path]
        let argv = words.map { strdup($0) } + [nil]
        var pid: pid_t = 0
        if posix_spawnp(&pid, "rm", &actions, nil, argv, nil) == 0 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        posix_spawn_file_actions_destroy(&actions)
        for string in argv { free(string) }
    }
}

/// Paths the tests need: the package's root and the probe built beside the test bundle.
enum Paths {
    /// The package root, found from this file's location.
    static let packageRoot: String = {
        var components = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(4)  // Tests/ImmutaSystemdTests/Support/ChildProcess.swift
        return components.joined(separator: "/")
    }()

    /// `immuta-systemd-probe`, which `swift build --build-tests` puts beside the test bundle.
    static let probe: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let executable = String(decoding: buffer[..<max(length, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        return directory.joined(separator: "/") + "/immuta-systemd-probe"
    }()
}
