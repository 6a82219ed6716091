import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Whether the access tests can run here: as root (to create users and run clients as them),
/// with setpriv (util-linux) and useradd (passwd).
enum AccessTesting {
    static let setpriv = "/usr/bin/setpriv"

    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv)
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd")
    }

    /// What a child run as another user needs in its environment: under a sanitizer run, the
    /// LeakSanitizer suppressions (scripts/lsan.supp) from a copy those users can read. The
    /// runner's own path lies in a checkout they may not read, and a sanitized immutactl that
    /// cannot read its suppressions file exits at once.
    ///
    /// Leak detection itself is off in those children: they cannot read their own binary in the
    /// checkout either, so the symbolizer fails, no suppression (matched by function name) can
    /// apply, and a toolchain leak lsan.supp names turned an allowed command's exit status into 1
    /// (once in four fresh-clone runs). The same commands run as root, with leak detection,
    /// everywhere else.
    static let childEnvironment: [String: String] = {
        let environment = ProcessInfo.processInfo.environment
        guard let options = environment["LSAN_OPTIONS"], let start = options.range(of: "suppressions=") else { return [:] }
        let path = String(options[start.upperBound...].prefix { $0 != ":" })
        let copy = NSTemporaryDirectory() + "immuta-access-lsan-\(getpid()).supp"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            (try? text.write(toFile: copy, atomically: true, encoding: .utf8)) != nil, chmod(copy, 0o644) == 0
        else { return [:] }
        let address = (environment["ASAN_OPTIONS"].map { $0 + ":" } ?? "") + "detect_leaks=0"
        return [
            "LSAN_OPTIONS": options.replacingOccurrences(of: "suppressions=" + path, with: "suppressions=" + copy),
            "ASAN_OPTIONS": address,
        ]
    }()
}

/// Someone to run `immutactl` as: a user of the host, or a bare uid with no passwd entry.
struct TestUser: Sendable, Hashable, CustomStringConvertible {
    /// The login name; nil for a uid the user database does not know.
    var name: String?
    var uid: UInt32
    /// The primary group the process runs with.
    var gid: UInt32
    /// Run with no supplementary groups at all (`setpriv --clear-groups`), even for a named user.
    var dropsGroups = false

    /// How the daemon names it in messages: "user immuta-t-alice (uid 1001)", or "uid 54322".
    var who: String { name.map { "user \($0) (uid \(uid))" } ?? "uid \(uid)" }
    /// The `user=` field of its audit entries.
    var auditName: String { name ?? "" }
    var description: String { name ?? "uid \(uid)" }

    /// setpriv's options that make the child this user (before `--`).
    var setprivOptions: [String] {
        let groups = name == nil || dropsGroups ? "--clear-groups" : "--init-groups"
        return ["--reuid", String(uid), "--regid", String(gid), groups]
    }

    /// The same user, with its supplementary groups dropped from the process.
    var withoutSupplementaryGroups: TestUser {
        var copy = self
        copy.dropsGroups = true
        return copy
    }
}

/// The test users and groups, created once per host and left in place (other tests may be using
/// them): group immuta-t-web; users immuta-t-alice (primary group of her own, supplementary member
/// of immuta-t-web), immuta-t-bob, immuta-t-ops and immuta-t-carol; and two uids without a passwd
/// entry.
struct AccessUsers: Sendable {
    static let webGroup = "immuta-t-web"
    static let names = ["immuta-t-alice", "immuta-t-bob", "immuta-t-ops", "immuta-t-carol"]

    let alice: TestUser
    let bob: TestUser
    let ops: TestUser
    let carol: TestUser
    /// uid 54321: named by a numeric grant in some tests.
    let nameless: TestUser
    /// uid 54322: no grant names it, it has no name and no groups.
    let stranger: TestUser
    /// The gid of immuta-t-web.
    let webGID: UInt32

    /// Creates whatever is missing (idempotent, serialized with flock against concurrent tests:
    /// useradd fails when another useradd holds /etc/passwd) and looks everyone up.
    static func ensure() async throws -> AccessUsers {
        let result = try await runCommand("/bin/sh", ["-c", setupScript])
        guard result.status == 0 else {
            throw DaemonTestError("creating the test users failed (exit \(result.status)): \(result.stderr)")
        }
        func user(_ name: String) throws -> TestUser {
            guard let (uid, gid) = passwd(name: name) else { throw DaemonTestError("user \(name) does not exist after setup") }
            return TestUser(name: name, uid: uid, gid: gid)
        }
        for uid: UInt32 in [54321, 54322] where passwd(uid: uid) {
            throw DaemonTestError("uid \(uid) has a passwd entry; the tests need it to have none")
        }
        guard let web = groupID(named: webGroup) else { throw DaemonTestError("group \(webGroup) does not exist after setup") }
        return AccessUsers(
            alice: try user("immuta-t-alice"), bob: try user("immuta-t-bob"), ops: try user("immuta-t-ops"),
            carol: try user("immuta-t-carol"), nameless: TestUser(name: nil, uid: 54321, gid: 54321),
            stranger: TestUser(name: nil, uid: 54322, gid: 54322), webGID: web)
    }

    // The reentrant lookups: tests run in parallel, and getpwnam's result lives in a static buffer.

    private static func passwd(name: String) -> (uid: UInt32, gid: UInt32)? {
        var entry = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }

    private static func passwd(uid: UInt32) -> Bool {
        var entry = Glibc.passwd()
        var result: UnsafeMutablePointer<Glibc.passwd>?
        var buffer = [CChar](repeating: 0, count: 1 << 16)
        return getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0 && result != nil
    }

    private static func groupID(named name: String) -> UInt32? {
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 1 << 20)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    /// Idempotent; tolerates another process creating the same names at the same time (its own
    /// lock, or none): a name that exists after a failed add is fine, and a failed attempt (a
    /// locked /etc/passwd) is tried again.
    private static let setupScript = """
        exec 9>>/tmp/immuta-test-users.lock
        flock 9
        group() { getent group "$1" >/dev/null || groupadd -f "$1" || getent group "$1" >/dev/null; }
        user() {
            getent passwd "$1" >/dev/null \
                || useradd --no-create-home --no-user-group --gid "$1" --shell /usr/sbin/nologin "$1" \
                || getent passwd "$1" >/dev/null
        }
        member() { id -nG "$1" | tr ' ' '\\n' | grep -qx "$2" || usermod -a -G "$2" "$1"; }
        attempt() {
            group \(webGroup) || return 1
            for name in \(names.joined(separator: " ")); do group "$name" && user "$name" || return 1; done
            member immuta-t-alice \(webGroup)
        }
        tries=0
        until attempt; do
            tries=$((tries + 1))
            [ "$tries" -lt 50 ] || exit 1
            sleep 0.1
        done
        """
}

/// The outcome of one command run as a test user.
struct UserRun: Sendable {
    var user: TestUser?
    var arguments: [String]
    var pid: Int32
    var result: CliResult

    var status: Int32 { result.status }
    /// Standard output and standard error together.
    var text: String { result.out + result.stderr }
    var command: String { "\(user?.description ?? "root")$ immutactl \(arguments.joined(separator: " "))" }
}

/// A daemon with a configuration file, reachable by every test user: its directory is
/// traversable by others (the socket's own mode is the configuration's).
final class AccessDaemon: Sendable {
    let directory: TemporaryDirectory
    let daemon: DaemonProcess

    var socket: String { daemon.socketPath }
    var configPath: String { directory.path + "/immuta.conf" }

    private init(directory: TemporaryDirectory, daemon: DaemonProcess) {
        self.directory = directory
        self.daemon = daemon
    }

    /// Starts immutad with `config` (nil: no configuration file, running in place).
    static func start(config: String?) async throws -> AccessDaemon {
        let directory = TemporaryDirectory(prefix: "acl")
        guard chmod(directory.path, 0o755) == 0 else { throw DaemonTestError("chmod \(directory.path): errno \(errno)") }
        let daemon = try await DaemonProcess.start(in: directory.path, config: config, inPlace: config == nil)
        return AccessDaemon(directory: directory, daemon: daemon)
    }

    /// Starts a child: `immutactl arguments…` as `user` (nil: root, the test runner itself).
    func launch(_ user: TestUser?, _ arguments: [String], stdin: [UInt8]? = nil) throws -> CliProcess {
        guard let user else { return try CliProcess(arguments, socket: socket, stdin: stdin) }
        return try CliProcess(
            user.setprivOptions + ["--", TestBinaries.path("immutactl")] + arguments, socket: socket, stdin: stdin,
            executable: AccessTesting.setpriv, environment: AccessTesting.childEnvironment)
    }

    /// Runs `immutactl arguments…` as `user` to its end.
    func run(_ user: TestUser?, _ arguments: [String], stdin: String? = nil) async throws -> UserRun {
        let process = try launch(user, arguments, stdin: stdin.map { Array($0.utf8) })
        let pid = process.pid
        let result = try await withDeadline("immutactl \(arguments.joined(separator: " ")) as \(user?.description ?? "root")") {
            await process.finish()
        }
        return UserRun(user: user, arguments: arguments, pid: pid, result: result)
    }

    /// Runs it and checks the exit status and that the output (stdout and stderr) contains every
    /// one of `says`.
    @discardableResult
    func expect(
        _ status: Int32, as user: TestUser?, _ arguments: [String], stdin: String? = nil, says: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> UserRun {
        let run = try await run(user, arguments, stdin: stdin)
        #expect(
            run.status == status, "\(run.command) exited \(run.status), not \(status); output: \(run.text)",
            sourceLocation: sourceLocation)
        for fragment in says {
            #expect(
                run.text.contains(fragment), "\(run.command) did not say \(String(reflecting: fragment)); output: \(run.text)",
                sourceLocation: sourceLocation)
        }
        return run
    }

    /// A library client connected as root (the test runner).
    func rootClient() async throws -> ImmutaClient {
        try await ImmutaClient.connect(socketPath: socket, clientName: "acl-test-root")
    }

    /// How many reloads the daemon has finished.
    var reloadCount: Int { daemon.output.components(separatedBy: "configuration reloaded").count - 1 }

    /// Rewrites the configuration file and reloads it with SIGHUP, waiting for the daemon to say
    /// it did (and failing if it refused the new file).
    func reload(config: String) async throws {
        let before = reloadCount
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await GroupTesting.eventually("the daemon reloaded its configuration") {
            if daemon.output.contains("reload refused") {
                throw DaemonTestError("immutad refused the new configuration:\n\(daemon.output)")
            }
            return reloadCount > before
        }
    }

    /// Every audit entry the daemon logged so far.
    var auditEntries: [AuditEntry] {
        daemon.output.split(separator: "\n").filter { $0.contains("immuta_audit=1") }.map { AuditEntry(line: String($0)) }
    }
}

/// One `immuta_audit=1` line of the daemon's stderr: `… message key=value key="quoted" …`.
struct AuditEntry: Sendable, CustomStringConvertible {
    var line: String
    var fields: [String: String]

    init(line: String) {
        self.line = line
        var fields: [String: String] = [:]
        let pattern = /([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ ]*)/
        for match in line.matches(of: pattern) {
            var value = String(match.output.2)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            fields[String(match.output.1)] = value
        }
        self.fields = fields
    }

    subscript(_ key: String) -> String? { fields[key] }
    var description: String { line }
}

/// A child process whose standard input stays open until the test closes it, so that it can be
/// fed line by line (`immutactl produce` across a reload).
final class InteractiveProcess: Sendable {
    let process: Process
    let stdout: LineCollector
    let stderr: LineCollector
    private let input: FileHandle

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    init(executable: String, _ arguments: [String], environment extra: [String: String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(AccessTesting.childEnvironment) { $1 }
            .merging(extra) { $1 }
        let (inPipe, outPipe, errPipe) = (Pipe(), Pipe(), Pipe())
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        stdout = LineCollector(handle: outPipe.fileHandleForReading)
        stderr = LineCollector(handle: errPipe.fileHandleForReading)
        input = inPipe.fileHandleForWriting
        self.process = process
        // A child that exits before reading its input must not kill the runner with SIGPIPE.
        _ = Glibc.signal(SIGPIPE, SIG_IGN)
        try process.run()
        // Only the child holds the read end now.
        try? inPipe.fileHandleForReading.close()
    }

    /// `immutactl arguments…` as `user`, talking to `daemon`.
    convenience init(_ user: TestUser, _ arguments: [String], daemon: AccessDaemon) throws {
        try self.init(
            executable: AccessTesting.setpriv, user.setprivOptions + ["--", TestBinaries.path("immutactl")] + arguments,
            environment: ["IMMUTA_SOCKET": daemon.socket])
    }

    /// Writes to the child's standard input (and fails when it is gone).
    func send(_ text: String) throws {
        try input.write(contentsOf: Data(text.utf8))
    }

    func closeInput() {
        try? input.close()
    }

    /// Waits for the child to end, and for its output to be read to the end; returns its exit status.
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let process = self.process
        let status = try await withDeadline("pid \(pid) to exit", timeout: timeout) {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                }
            }
        }
        let (stdout, stderr) = (self.stdout, self.stderr)
        guard await LineCollector.wait(for: [stdout, stderr], timeout: timeout, { stdout.isClosed && stderr.isClosed }) else {
            throw DaemonTestError("the output of pid \(pid) did not end after it exited")
        }
        return status
    }

    deinit {
        try? input.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Runs a command as root to its end (setup helpers).
func runCommand(_ executable: String, _ arguments: [String]) async throws -> CliResult {
    try await withDeadline("\(executable) \(arguments.joined(separator: " "))", timeout: .seconds(120)) {
        try await CliProcess(arguments, socket: nil, executable: executable).finish()
    }
}

/// The permission bits and kind of a path (lstat).
struct FileMode: Sendable {
    var permissions: UInt32
    var isDirectory: Bool
    var isRegular: Bool
    var gid: UInt32

    init(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw DaemonTestError("lstat \(path): errno \(errno)") }
        permissions = UInt32(info.st_mode) & 0o7777
        isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        isRegular = (info.st_mode & S_IFMT) == S_IFREG
        gid = info.st_gid
    }
}

extension String {
    /// The text with every whole occurrence of the topic or group name `name` replaced (not
    /// where it is part of a longer name: "aud" in "audit").
    func replacingName(_ name: String, with replacement: String) -> String {
        let nameCharacters = "A-Za-z0-9._-"
        let pattern = "(?<![\(nameCharacters)])" + NSRegularExpression.escapedPattern(for: name) + "(?![\(nameCharacters)])"
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return self }
        return expression.stringByReplacingMatches(
            in: self, range: NSRange(startIndex..., in: self), withTemplate: NSRegularExpression.escapedTemplate(for: replacement))
    }
}
