import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Under the shipped unit's settings a fatal signal ends immutad at once: the watchdog's SIGABRT
/// and an external SIGSEGV must not leave a frozen daemon hanging in Swift's crash backtracer.
@Suite(.timeLimit(.minutes(15))) struct FatalSignalTests {
    /// The `Environment=` settings of systemd/immuta.service.
    static func unitEnvironment() throws -> [String: String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let unit = try String(contentsOfFile: root + "/systemd/immuta.service", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in unit.split(separator: "\n") where line.hasPrefix("Environment=") {
            let pair = line.dropFirst("Environment=".count).split(separator: "=", maxSplits: 1)
            environment[String(pair[0])] = String(pair[1])
        }
        return environment
    }

    /// A launcher that applies MemoryDenyWriteExecute= as systemd does on this kernel (prctl
    /// PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN), then becomes immutad.
    static func sandboxedLauncher(in directory: String) throws -> String {
        let path = directory + "/immutad-mdwe"
        let script = """
            #!/usr/bin/python3
            import ctypes, os, sys
            if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0:
                sys.exit("prctl(PR_SET_MDWE) refused")
            os.execv(\(String(reflecting: TestBinaries.path("immutad"))), ["immutad"] + sys.argv[1:])

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test(arguments: [SIGSEGV, SIGABRT])
    func aFatalSignalEndsTheProcessUnderTheUnitsSandbox(signal: Int32) async throws {
        let dir = TemporaryDirectory()
        let environment = try Self.unitEnvironment()
        #expect(environment["SWIFT_BACKTRACE"] == "enable=no")
        let daemon = try await DaemonProcess.start(
            in: dir.path, environment: environment, executable: try Self.sandboxedLauncher(in: dir.path))
        let clock = ContinuousClock()
        let sent = clock.now
        daemon.signal(signal)
        let ended = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await daemon.waitForExit()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: TestBudget.time(.seconds(10)))
                return false
            }
            let first = await group.next()!
            if !first { daemon.signal(SIGKILL) }
            group.cancelAll()
            return first
        }
        #expect(ended, "immutad was still running 10 s after signal \(signal)")
        #expect(clock.now - sent < TestBudget.time(.seconds(5)))
    }
}
