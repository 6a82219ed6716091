import Foundation
import ImmutaDaemonTesting
import Testing

/// immutad's own socket errors name the path and the fix, not NIO's wording (they used to be
/// `bind(descriptor:ptr:bytes:): No such file or directory) (errno: 2)` and
/// `unixDomainSocketPathTooLong`).
@Suite(.timeLimit(.minutes(3))) struct DaemonSocketErrorTests {
    @Test func aSocketPathThatCannotBeBoundIsNamedWithTheFix() async throws {
        let dir = TemporaryDirectory()
        let blocker = dir.path + "/a-file"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data()))
        let cases: [(path: String, says: String)] = [
            (dir.path + "/no/such/dir/x.sock", "its directory does not exist; create it or choose another --socket"),
            (blocker + "/x.sock", "part of its directory path is a file, not a directory"),
            (dir.path + "/" + String(repeating: "s", count: 120) + ".sock", "is too long for a Unix socket (at most 107 bytes); choose a shorter path"),
            ("/proc/immuta-test.sock", "; choose another --socket"),
        ]
        for (index, (path, says)) in cases.enumerated() {
            let daemon = try await DaemonProcess.start(
                in: dir.path + "/d\(index)", arguments: ["--socket", path], waitUntilReady: false)
            let status = await daemon.waitForExit()
            #expect(status != 0, "\(path)")
            #expect(daemon.output.contains("socket \(path) ") && daemon.output.contains(says), "\(path): \(daemon.output)")
            #expect(!daemon.output.contains("errno:") && !daemon.output.contains("unixDomainSocketPathTooLong"), "\(daemon.output)")
        }
    }
}
