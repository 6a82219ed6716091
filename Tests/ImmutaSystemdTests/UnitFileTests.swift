import Glibc
import Testing

/// The unit files as systemd reads them, checked offline with systemd-analyze and systemd-sysusers.
@Suite("systemd unit files", .timeLimit(.minutes(5)))
struct UnitFileTests {
    static let systemdDirectory = Paths.packageRoot + "/systemd"

    /// Copies the units into a fresh directory. `systemd-analyze verify` insists that ExecStart='s binary
    /// exists, and immutad is not installed here, so the copy runs /bin/true with the same arguments.
    static func unitsWithExistingBinary() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let service = try readFile(systemdDirectory + "/immuta.service")
        let execStart = "ExecStart=/usr/local/bin/immutad "
        let lines = service.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { $0.hasPrefix(execStart) }.count == 1, "immuta.service must have one \(execStart)…")
        let rewritten = lines.map {
            $0.hasPrefix(execStart) ? "ExecStart=/bin/true " + $0.dropFirst(execStart.count) : $0
        }
        try writeFile(directory.path + "/immuta.service", rewritten.joined(separator: "\n"))
        try writeFile(directory.path + "/immuta.socket", try readFile(systemdDirectory + "/immuta.socket"))
        return directory
    }

    @Test("systemd-analyze verify accepts the units without a word")
    func verify() throws {
        let units = try Self.unitsWithExistingBinary()
        let result = try ChildProcess.run(
            ["systemd-analyze", "verify", units.path + "/immuta.socket", units.path + "/immuta.service"])
        // verify reports unknown keys and bad values on its output but still exits 0: any output fails.
        #expect(result.status == 0)
        #expect(result.standardOutput + result.standardError == "")
    }

    @Test("the verify check catches what systemd-analyze only warns about")
    func verifyCatchesWarnings() throws {
        let units = try Self.unitsWithExistingBinary()
        let socket = try readFile(units.path + "/immuta.socket")
        try writeFile(
            units.path + "/immuta.socket",
            socket.replacing("[Socket]\n", with: "[Socket]\nListenStreem=x\n", maxReplacements: 1)
        )
        let result = try ChildProcess.run(
            ["systemd-analyze", "verify", units.path + "/immuta.socket", units.path + "/immuta.service"])
        #expect(result.status == 0)
        #expect(result.standardError.contains("Unknown key 'ListenStreem'"))
    }

    @Test("systemd-analyze security rates the service's exposure at 2.0 or less")
    func securityExposure() throws {
        let units = try Self.unitsWithExistingBinary()
        let result = try ChildProcess.run(
            ["systemd-analyze", "security", "--offline=true", "--no-pager", units.path + "/immuta.service"])
        let output = result.standardOutput + result.standardError
        // → Overall exposure level for immuta.service: 0.4 SAFE 😀
        let marker = "Overall exposure level for immuta.service: "
        let summary = try #require(output.split(separator: "\n").first { $0.contains(marker) }, "\(output)")
        let score = summary.split(separator: marker).last.flatMap { $0.split(separator: " ").first }.flatMap {
            Double($0)
        }
        let exposure = try #require(score, "no score in \(summary)")
        print("systemd-analyze security --offline=true immuta.service: exposure \(exposure)")
        #expect(exposure <= 2.0, "\(output)")
    }

    @Test("sysusers creates the system user and group immuta")
    func sysusers() throws {
        let root = try TemporaryDirectory()
        #expect(mkdir(root.path + "/etc", 0o755) == 0)
        let result = try ChildProcess.run(
            ["systemd-sysusers", "--root=" + root.path, Self.systemdDirectory + "/immuta.sysusers"])
        #expect(result.status == 0, "\(result.standardError)")
        let passwd = try readFile(root.path + "/etc/passwd").split(separator: "\n")
        let user = try #require(passwd.first { $0.hasPrefix("immuta:") }, "\(passwd)").split(separator: ":")
        let group = try #require(
            try readFile(root.path + "/etc/group").split(separator: "\n").first {
                $0.hasPrefix("immuta:")
            }
        ).split(separator: ":", omittingEmptySubsequences: false)
        #expect(user.count == 7)
        #expect(Int(user[2]).map { $0 < 1000 } == true, "a system uid, below 1000: \(user)")
        #expect(user[3] == group[2], "the user's primary group is immuta")
        #expect(user[5] == "/var/lib/immuta")
        #expect(user[6] == "/usr/sbin/nologin")
    }
}
