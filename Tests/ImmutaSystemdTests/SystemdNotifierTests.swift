import Glibc
import ImmutaSystemd
import Testing

/// The notifications go out from a child process (the probe) whose NOTIFY_SOCKET names a socket the test
/// bound, so the test process's own environment is never changed and these tests can run in parallel.
@Suite("SystemdNotifier", .timeLimit(.minutes(5)))
struct SystemdNotifierTests {
    enum AddressKind: String, CaseIterable, CustomTestStringConvertible {
        case path, abstract
        var testDescription: String { rawValue }
    }

    @Test("ready, status, reloading, watchdog and stopping arrive in order", arguments: AddressKind.allCases)
    func notificationsArriveInOrder(kind: AddressKind) throws {
        let directory = try TemporaryDirectory()
        let address: UnixSocket.Address =
            switch kind {
            case .path: .path(directory.path + "/notify.sock")
            case .abstract: .abstract("immuta-test-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            }
        let receiver = try UnixSocket(type: Int32(SOCK_DGRAM.rawValue), address: address)

        let before = SystemdNotifier.monotonicMicroseconds()
        let child = try ChildProcess.run(
            [Paths.probe, "notify"],
            environment: ["NOTIFY_SOCKET": receiver.notifySocketValue]
        )
        let after = SystemdNotifier.monotonicMicroseconds()
        #expect(child.status == 0, "probe failed: \(child.standardOutput)\(child.standardError)")
        #expect(child.reported["sent"] == "true,true,true,true,true")

        var datagrams: [String] = []
        for _ in 0..<5 {
            datagrams.append(String(decoding: try receiver.receive(), as: UTF8.self))
        }
        #expect(try receiver.receiveIfQueued() == nil, "more datagrams than the five notifications")
        #expect(datagrams[0] == "READY=1")
        #expect(datagrams[1] == "STATUS=serving 3 topics from /var/lib/immuta")
        let reloading = datagrams[2].split(separator: "\n")
        #expect(reloading.count == 2 && reloading.first == "RELOADING=1", "\(datagrams[2])")
        let monotonic = reloading.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil }
        #expect(
            monotonic.map { (before...after).contains($0) } == true,
            "MONOTONIC_USEC \(String(describing: monotonic)) is not CLOCK_MONOTONIC between \(before) and \(after)"
        )
        #expect(datagrams[3] == "WATCHDOG=1")
        #expect(datagrams[4] == "STOPPING=1")
    }

    @Test("without NOTIFY_SOCKET nothing is sent and nothing fails")
    func withoutNotifySocket() throws {
        let child = try ChildProcess.run([Paths.probe, "notify"])
        #expect(child.status == 0, "\(child.standardOutput)\(child.standardError)")
        #expect(child.reported["sent"] == "false,false,false,false,false")
    }

    @Test("a NOTIFY_SOCKET nobody listens on is a clear error")
    func notifySocketWithoutListener() throws {
        let directory = try TemporaryDirectory()
        let child = try ChildProcess.run(
            [Paths.probe, "notify"],
            environment: ["NOTIFY_SOCKET": directory.path + "/missing.sock"]
        )
        #expect(child.status == 1)
        let error = child.reported["error"] ?? ""
        #expect(error.contains("could not send \"READY=1\""), "\(error)")
        #expect(error.contains(directory.path + "/missing.sock"), "\(error)")
    }

    @Test("the receiving socket sees what systemd-notify itself sends")
    func crossCheckWithSystemdNotify() throws {
        let directory = try TemporaryDirectory()
        let receiver = try UnixSocket(type: Int32(SOCK_DGRAM.rawValue), address: .path(directory.path + "/notify.sock"))
        let child = try ChildProcess.run(
            ["systemd-notify", "--no-block", "--ready", "--status=cross-check"],
            environment: ["NOTIFY_SOCKET": receiver.notifySocketValue]
        )
        #expect(child.status == 0, "\(child.standardError)")
        let lines = String(decoding: try receiver.receive(), as: UTF8.self).split(separator: "\n")
        #expect(lines.contains("READY=1"))
        #expect(lines.contains("STATUS=cross-check"))
    }

    @Test("the watchdog interval comes from WATCHDOG_USEC, for this process only")
    func watchdogInterval() throws {
        let enabled = try ChildProcess.run([Paths.probe, "environment"], environment: ["WATCHDOG_USEC": "30000000"])
        #expect(enabled.reported["watchdog"] == "30000000")

        let unset = try ChildProcess.run([Paths.probe, "environment"])
        #expect(unset.reported["watchdog"] == "none")

        // WATCHDOG_PID names another process: the watchdog is someone else's.
        let otherProcess = try ChildProcess.run(
            [Paths.probe, "environment"],
            environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]
        )
        #expect(otherProcess.reported["watchdog"] == "none")

        let malformed = try ChildProcess.run([Paths.probe, "environment"], environment: ["WATCHDOG_USEC": "soon"])
        let error = malformed.reported["watchdog-error"] ?? ""
        #expect(error.contains("WATCHDOG_USEC=soon"), "\(malformed.standardOutput)")
        #expect(error.contains("WatchdogSec="), "\(error)")
    }

    @Test("the journal is detected only when JOURNAL_STREAM names standard error")
    func journalStreamDetection() throws {
        #expect(SystemdNotifier.journalStream("8:1234", matchesDevice: 8, inode: 1234))
        #expect(!SystemdNotifier.journalStream("8:1234", matchesDevice: 8, inode: 1235))
        #expect(!SystemdNotifier.journalStream("9:1234", matchesDevice: 8, inode: 1234))
        #expect(!SystemdNotifier.journalStream("8:1234:5", matchesDevice: 8, inode: 1234))
        #expect(!SystemdNotifier.journalStream("", matchesDevice: 0, inode: 0))

        let unset = try ChildProcess.run([Paths.probe, "environment"])
        #expect(unset.reported["journal"] == "false")
        // Inherited by a process whose standard error is not the journal (here a file): not the journal.
        let stale = try ChildProcess.run([Paths.probe, "environment"], environment: ["JOURNAL_STREAM": "8:1234"])
        #expect(stale.reported["journal"] == "false")

        // Standard error is the file JOURNAL_STREAM names, as journald's stream socket would be.
        let directory = try TemporaryDirectory()
        let standardError = open(directory.path + "/stream", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(standardError >= 0)
        defer { close(standardError) }
        var status = stat()
        #expect(fstat(standardError, &status) == 0)
        let matching = try ChildProcess.run(
            [Paths.probe, "environment"],
            environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino)"],
            descriptors: [2: standardError]
        )
        #expect(matching.reported["journal"] == "true")
    }
}
