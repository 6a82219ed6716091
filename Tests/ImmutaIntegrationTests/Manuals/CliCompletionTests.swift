import Foundation
import ImmutaDaemonTesting
import Testing

/// The shell completion scripts (`immutactl --generate-completion-script SHELL`, installed by
/// scripts/install.sh): generated for every shell, valid for it, and completing commands, option
/// values and, from a running daemon, topic names, in a real bash.
@Suite(.timeLimit(.minutes(5))) struct CliCompletionTests {
    static func script(for shell: String) async throws -> String {
        let result = try await Cli.run(["--generate-completion-script", shell], socket: nil)
        try #require(result.status == 0, "--generate-completion-script \(shell) exited \(result.status): \(result.stderr)")
        return result.out
    }

    /// The shell's path, when it is installed (the suite installs no shell of its own).
    static func installed(_ shell: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + shell }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(arguments: ["bash", "zsh", "fish"]) func aScriptForEveryShellNamesEveryCommand(shell: String) async throws {
        let script = try await Self.script(for: shell)
        let tree = try await CliCommandTree.of("immutactl")
        #expect(tree.topLevel.count >= 10, "\(tree.topLevel)")
        for command in tree.topLevel {
            #expect(Self.offers(command, script, shell), "the \(shell) script does not offer \(command)")
        }
    }

    /// Whether the script offers `command` as a completion, in that shell's way of listing one.
    static func offers(_ command: String, _ script: String, _ shell: String) -> Bool {
        switch shell {
        case "bash":  // compgen -W 'topic produce …'
            script.split(separator: "\n").contains { line in
                line.contains("compgen -W '") && line.split(whereSeparator: { $0 == " " || $0 == "'" }).contains { $0 == command }
            }
        case "zsh": script.contains("'\(command):")  // 'name:description'
        default: script.contains("-fa '\(command)'")  // fish: complete … -fa 'name'
        }
    }

    @Test func bashAcceptsItsScript() async throws { try await Self.parse(with: "bash") }

    @Test(.enabled(if: installed("zsh") != nil, "zsh is not installed")) func zshAcceptsItsScript() async throws {
        try await Self.parse(with: "zsh")
    }

    @Test(.enabled(if: installed("fish") != nil, "fish is not installed")) func fishAcceptsItsScript() async throws {
        try await Self.parse(with: "fish")
    }

    /// `SHELL -n`: the shell reads the script without running it, and finds no syntax error.
    static func parse(with shell: String) async throws {
        let executable = try #require(installed(shell), "\(shell) is not installed")
        let dir = TemporaryDirectory(prefix: "compl")
        let path = dir.path + "/immutactl." + shell
        try await script(for: shell).write(toFile: path, atomically: true, encoding: .utf8)
        let check = try await CliProcess(["-n", path], socket: nil, executable: executable).finish()
        #expect(check.status == 0, "\(shell) -n rejected the script: \(check.stderr)")
    }

    @Test func bashCompletesCommandsOptionsAndValues() async throws {
        let bash = try await BashCompletion()
        let tree = try await CliCommandTree.of("immutactl")
        #expect(try await bash.complete("immutactl topi").contains("topic"))
        let topicCommands = tree.paths.filter { $0.count == 2 && $0[0] == "topic" }.map { $0[1] }
        #expect(topicCommands.count >= 5)
        let offered = try await bash.complete("immutactl topic ")
        for command in topicCommands { #expect(offered.contains(command), "\(command) not in \(offered)") }
        #expect(try await bash.complete("immutactl consume orders --fo").sorted() == ["--follow", "--format"])
        #expect(try await bash.complete("immutactl consume orders --format ").sorted() == ["json", "lines", "raw"])
        #expect(try await bash.complete("immutactl produce orders --ack ").sorted() == ["fsync", "write"])
    }

    /// Topic names come from the daemon the command line names (--socket, else IMMUTA_SOCKET), and
    /// a daemon that is missing or never answers gives none, quietly and at once or within the
    /// deadline: Tab must not hang.
    @Test func topicNamesComeFromTheDaemon() async throws {
        let bash = try await BashCompletion()
        let daemon = try await CliDaemon()
        for name in ["orders", "other", "audit"] { try await daemon.expect(0, ["topic", "create", name]) }
        #expect(try await bash.complete("immutactl topic describe o", socket: daemon.socket).sorted() == ["orders", "other"])
        #expect(try await bash.complete("immutactl topic config ", socket: daemon.socket).sorted() == ["audit", "orders", "other"])
        #expect(try await bash.complete("immutactl topic delete --socket \(daemon.socket) a").sorted() == ["audit"])
        #expect(try await bash.complete("immutactl acl check --topic au", socket: daemon.socket) == ["audit"])
        // Every command that names a topic completes it.
        for command in ["produce", "consume", "export", "import in.immuta", "group list", "group describe", "group config"] {
            #expect(try await bash.complete("immutactl \(command) or", socket: daemon.socket) == ["orders"], "\(command)")
        }
        // Group names: those of the topic typed, else every topic's.
        for (topic, group) in [("orders", "billing"), ("orders", "shipping"), ("other", "bookkeeping")] {
            // A member that joins an empty topic, finds nothing, and leaves: the group stays.
            try await daemon.expect(0, ["consume", topic, "--group", group])
        }
        let listed = try await daemon.expect(0, ["group", "list"])
        try #require(listed.out.contains("bookkeeping"), "the groups exist: \(listed.out)")
        #expect(try await bash.complete("immutactl group describe orders ", socket: daemon.socket) == ["billing", "shipping"])
        #expect(try await bash.complete("immutactl group pending other b", socket: daemon.socket) == ["bookkeeping"])
        #expect(try await bash.complete("immutactl consume orders --group b", socket: daemon.socket) == ["billing"])
        #expect(try await bash.complete("immutactl consume --group b", socket: daemon.socket) == ["billing", "bookkeeping"])

        let dir = TemporaryDirectory(prefix: "compl")
        let silent = try SilentSocket(path: dir.path + "/silent.sock")
        for socket in [dir.path + "/none.sock", silent.path] {
            let started = ContinuousClock.now
            let result = try await bash.run("immutactl topic describe ", socket: socket)
            #expect(result.status == 0 && result.lines.isEmpty, "\(socket): \(result.out)")
            #expect(result.stderr.isEmpty, "Tab printed an error: \(result.stderr)")
            #expect(ContinuousClock.now - started < .seconds(5), "\(socket): completion took \(ContinuousClock.now - started)")
        }
        #expect(await daemon.daemon.stop() == 0)
    }
}

/// bash running the generated completion script on a command line, as Tab would.
struct BashCompletion {
    let dir = TemporaryDirectory(prefix: "bashc")

    init() async throws {
        try await CliCompletionTests.script(for: "bash").write(toFile: dir.path + "/immutactl.bash", atomically: true, encoding: .utf8)
        // What bash-completion does on Tab: split the line into words, call the registered function.
        try """
            source "$1"
            line=$2
            COMP_LINE=$line
            COMP_POINT=${#line}
            read -ra COMP_WORDS <<<"$line"
            [[ $line == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            function=$(complete -p immutactl | sed 's/.* -F \\([^ ]*\\).*/\\1/')
            "$function" immutactl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}" | grep -v '^$' || true
            """.write(toFile: dir.path + "/complete.sh", atomically: true, encoding: .utf8)
    }

    /// The completions offered for `line` (the last word is the one being completed).
    /// - Parameter patient: wait as long as the daemon takes (a loaded test machine can take more
    ///   than Tab's 500 ms to answer); the deadline itself is tested with `run`.
    func complete(_ line: String, socket: String? = nil, patient: Bool = true) async throws -> [String] {
        let result = try await run(line, socket: socket, patient: patient)
        #expect(result.status == 0 && result.stderr.isEmpty, "completing '\(line)': \(result.stderr)")
        return result.lines
    }

    func run(_ line: String, socket: String?, patient: Bool = false) async throws -> CliResult {
        let path = TestBinaries.directory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        var environment = ["PATH": path]
        if patient { environment["IMMUTA_COMPLETION_TIMEOUT_MS"] = "60000" }
        return try await CliProcess(
            [dir.path + "/complete.sh", dir.path + "/immutactl.bash", line], socket: socket, executable: "/bin/bash",
            environment: environment
        ).finish()
    }
}

/// A Unix socket that accepts connections into its backlog and never answers: a daemon that is
/// hung, or socket-activated and still starting.
final class SilentSocket: Sendable {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0 && listen(descriptor, 8) == 0, "cannot listen on \(path): errno \(errno)")
    }

    deinit { close(descriptor) }
}
