import Glibc
import Testing

/// scripts/install.sh and scripts/uninstall.sh into a DESTDIR. They run from a copy of the source tree
/// with stand-in binaries (BUILD_BIN_DIR) and a stand-in default configuration, so that the test needs
/// neither a release build nor the real etc/immuta.conf. The stand-in immutactl prints a line for
/// --generate-completion-script SHELL, standing for the script the real one prints.
@Suite("install.sh and uninstall.sh", .timeLimit(.minutes(5)))
struct InstallScriptTests {
    /// A copy of what the scripts read: scripts/, systemd/, man/, etc/immuta.conf, and a directory with
    /// executable immutad and immutactl.
    struct Sandbox {
        let directory: TemporaryDirectory
        var source: String { directory.path + "/source" }
        var binaries: String { directory.path + "/bin" }
        var destination: String { directory.path + "/dest" }
        static let defaultConfiguration = "# the shipped default\n"

        init() throws {
            directory = try TemporaryDirectory()
            for path in [source, source + "/etc", binaries] {
                #expect(mkdir(path, 0o755) == 0)
            }
            let copy = try ChildProcess.run(
                ["cp", "-R", Paths.packageRoot + "/scripts", Paths.packageRoot + "/systemd", Paths.packageRoot + "/man", source])
            #expect(copy.status == 0, "\(copy.standardError)")
            try writeFile(source + "/etc/immuta.conf", Self.defaultConfiguration)
            try writeFile(binaries + "/immutad", "#!/bin/sh\n", mode: 0o755)
            try writeFile(
                binaries + "/immutactl", "#!/bin/sh\n[ \"$1\" = --generate-completion-script ] && echo \"# $2 completion\"\nexit 0\n",
                mode: 0o755)
        }

        /// Puts `text` where an earlier install left /etc/immuta/immuta.conf; returns its path.
        func installedConfiguration(_ text: String) throws -> String {
            for path in [destination, destination + "/etc", destination + "/etc/immuta"] {
                #expect(mkdir(path, 0o755) == 0)
            }
            let configuration = destination + "/etc/immuta/immuta.conf"
            try writeFile(configuration, text)
            return configuration
        }

        func run(_ script: String, prefix: String, binaries: String? = nil) throws -> ChildResult {
            try ChildProcess.run(
                ["bash", source + "/scripts/" + script],
                environment: ["DESTDIR": destination, "PREFIX": prefix, "BUILD_BIN_DIR": binaries ?? self.binaries]
            )
        }
    }

    @Test("install puts every file in place with ExecStart at PREFIX; uninstall removes them and keeps the data")
    func installAndUninstall() throws {
        let sandbox = try Sandbox()
        let destination = sandbox.destination
        let installed = try sandbox.run("install.sh", prefix: "/opt/immuta")
        #expect(installed.status == 0, "\(installed.standardOutput)\(installed.standardError)")

        for binary in ["immutad", "immutactl"] {
            #expect(access(destination + "/opt/immuta/bin/" + binary, X_OK) == 0, "\(binary) not installed")
        }
        let service = try readFile(destination + "/etc/systemd/system/immuta.service")
        #expect(
            service.contains(
                "\nExecStart=/opt/immuta/bin/immutad --config /etc/immuta/immuta.conf --data-dir /var/lib/immuta "
                    + "--socket /run/immuta/immuta.sock\n"
            )
        )
        #expect(!service.contains("/usr/local/"), "every /usr/local path follows PREFIX")
        #expect(
            try readFile(destination + "/etc/systemd/system/immuta.socket")
                == readFile(Paths.packageRoot + "/systemd/immuta.socket")
        )
        #expect(
            try readFile(destination + "/etc/sysusers.d/immuta.conf")
                == readFile(Paths.packageRoot + "/systemd/immuta.sysusers")
        )
        #expect(try readFile(destination + "/etc/immuta/immuta.conf") == Sandbox.defaultConfiguration)
        for page in ["man1/immutactl.1", "man8/immutad.8"] {
            let installedPage = try readFile(destination + "/opt/immuta/share/man/" + page)
            #expect(installedPage.contains(".Pq Pa /opt/immuta/share/doc/immuta"), "\(page) names the documents under PREFIX")
            #expect(!installedPage.contains("/usr/local/"), "\(page): every /usr/local path follows PREFIX")
        }
        for (shell, path) in Self.completions(prefix: "/opt/immuta") {
            #expect(try readFile(destination + path) == "# \(shell) completion\n", "\(path)")
        }

        // The daemon's data lives on; uninstall must not touch it.
        #expect(mkdir(destination + "/var", 0o755) == 0 && mkdir(destination + "/var/lib", 0o755) == 0)
        #expect(mkdir(destination + "/var/lib/immuta", 0o750) == 0)
        try writeFile(destination + "/var/lib/immuta/00000000000000000000.log", "records")

        let uninstalled = try sandbox.run("uninstall.sh", prefix: "/opt/immuta")
        #expect(uninstalled.status == 0, "\(uninstalled.standardOutput)\(uninstalled.standardError)")
        for path in [
            "/opt/immuta/bin/immutad", "/opt/immuta/bin/immutactl", "/etc/systemd/system/immuta.service",
            "/etc/systemd/system/immuta.socket", "/etc/sysusers.d/immuta.conf", "/etc/immuta/immuta.conf",
            "/opt/immuta/share/man/man1/immutactl.1", "/opt/immuta/share/man/man8/immutad.8",
        ] + Self.completions(prefix: "/opt/immuta").map(\.path) {
            #expect(!fileExists(destination + path), "\(path) is still there")
        }
        #expect(try readFile(destination + "/var/lib/immuta/00000000000000000000.log") == "records")
    }

    /// Where each shell's completion goes: under PREFIX where the shell looks, for /usr where Debian's
    /// packages put theirs.
    static func completions(prefix: String) -> [(shell: String, path: String)] {
        [
            ("bash", prefix + "/share/bash-completion/completions/immutactl"),
            ("zsh", prefix == "/usr" ? "/usr/share/zsh/vendor-completions/_immutactl" : prefix + "/share/zsh/site-functions/_immutactl"),
            ("fish", prefix + "/share/fish/vendor_completions.d/immutactl.fish"),
        ]
    }

    @Test("PREFIX=/usr puts the completions and pages where Debian's packages put theirs, and uninstall finds them")
    func prefixUsr() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.run("install.sh", prefix: "/usr").status == 0)
        let installed = Self.completions(prefix: "/usr").map(\.path) + ["/usr/share/man/man1/immutactl.1", "/usr/share/man/man8/immutad.8"]
        for path in installed { #expect(fileExists(sandbox.destination + path), "\(path) is missing") }
        #expect(try sandbox.run("uninstall.sh", prefix: "/usr").status == 0)
        for path in installed { #expect(!fileExists(sandbox.destination + path), "\(path) is still there") }
    }

    @Test("an edited configuration is neither replaced by install nor removed by uninstall")
    func editedConfigurationIsKept() throws {
        let sandbox = try Sandbox()
        let edited = "# edited by the operator\naccess:\n  grants: []\n"
        let configuration = try sandbox.installedConfiguration(edited)

        let installed = try sandbox.run("install.sh", prefix: "/usr/local")
        #expect(installed.status == 0, "\(installed.standardOutput)\(installed.standardError)")
        #expect(installed.standardOutput.contains("keeping the existing"))
        #expect(try readFile(configuration) == edited)
        #expect(
            try readFile(sandbox.destination + "/etc/systemd/system/immuta.service")
                == readFile(Paths.packageRoot + "/systemd/immuta.service"),
            "PREFIX=/usr/local changes nothing"
        )

        let uninstalled = try sandbox.run("uninstall.sh", prefix: "/usr/local")
        #expect(uninstalled.status == 0)
        #expect(try readFile(configuration) == edited)
    }

    @Test("a configuration from before access control gets the immuta group's old rights, and the original is kept")
    func aConfigurationWithoutAccessRulesKeepsTheHostWorking() throws {
        let sandbox = try Sandbox()
        let old = "# from an older release\nlog_level: info\n"
        let configuration = try sandbox.installedConfiguration(old)
        let installed = try sandbox.run("install.sh", prefix: "/usr/local")
        #expect(installed.status == 0, "\(installed.standardOutput)\(installed.standardError)")
        #expect(installed.standardOutput.contains("had no access rules"))
        let upgraded = try readFile(configuration)
        #expect(upgraded.hasPrefix(old))
        #expect(upgraded.contains("\naccess:\n  grants:\n    - name: immuta group\n      groups: [immuta]\n      allow: [produce, consume]\n      topics: [\"*\"]\n"))
        #expect(try readFile(configuration + ".before-access") == old)
        // A second install finds the rules and leaves the file alone.
        #expect(try sandbox.run("install.sh", prefix: "/usr/local").status == 0)
        #expect(try readFile(configuration) == upgraded)
    }

    @Test("a missing binary stops the install with a message saying how to build it")
    func missingBinary() throws {
        let sandbox = try Sandbox()
        #expect(unlink(sandbox.binaries + "/immutactl") == 0)
        let result = try sandbox.run("install.sh", prefix: "/usr/local")
        #expect(result.status == 1)
        #expect(
            result.standardError.contains("/immutactl was not built; run 'swift build -c release'"),
            "\(result.standardError)"
        )
        #expect(!fileExists(sandbox.destination + "/usr/local/bin/immutad"), "nothing is installed half-way")
    }

    @Test("a relative PREFIX is refused")
    func relativePrefix() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.run("install.sh", prefix: "usr/local")
        #expect(result.status == 1)
        #expect(result.standardError.contains("PREFIX must be an absolute path"))
    }
}
