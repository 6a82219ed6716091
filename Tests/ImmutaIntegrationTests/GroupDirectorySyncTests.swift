import Foundation
import Immuta
import ImmutaDaemonTesting
import Testing

/// Every directory entry created, renamed or removed under `DATA/groups/` is made durable by an
/// fsync of its directory: checked on the real system calls of immutad, traced by strace.
@Suite(.timeLimit(.minutes(15))) struct GroupDirectorySyncTests {
    static let strace = "/usr/bin/strace"

    /// Starts immutad under `strace -f`, logging to `trace` (strace replaces a small wrapper, so
    /// that DaemonProcess runs it with immutad's arguments).
    static func startTraced(in directory: String, trace: String) async throws -> DaemonProcess {
        let wrapper = directory + "/immutad-traced"
        let script = """
            #!/bin/sh
            exec \(strace) -f -qq -y -o '\(trace)' -e trace=mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,open,openat,fsync,fdatasync \
                '\(TestBinaries.path("immutad"))' "$@"
            """
        try script.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        return try await DaemonProcess.start(in: directory, executable: wrapper)
    }

    /// Ends a traced immutad with SIGKILL (immutad under strace did not finish exiting after
    /// SIGTERM), then waits for strace to end. Everything the test checks was done by then, and
    /// a kill is what the data directory must survive anyway.
    static func kill(_ traced: DaemonProcess) async {
        let children = (try? String(contentsOfFile: "/proc/\(traced.pid)/task/\(traced.pid)/children", encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { Glibc.kill(child, SIGKILL) }
        _ = await traced.waitForExit()
    }

    /// Creates groups (managed and manual), commits, deletes a group and a topic with groups, then
    /// restarts over leftovers (a half-created group, the groups of a topic that is gone): no
    /// change under `groups/` lacks its directory fsync, in either run.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: strace)))
    func everyChangeUnderGroupsIsFollowedByAnFsyncOfItsDirectory() async throws {
        let dir = TemporaryDirectory()
        let groups = dir.path + "/data/groups"
        var traces: [String] = []

        traces.append(dir.path + "/first.trace")
        var daemon = try await Self.startTraced(in: dir.path, trace: traces[0])
        var client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        for topic in ["orders", "audit"] {
            try await client.createTopic(topic, options: TopicOptions(durability: "none"))
            try await GroupTesting.produce(client, topic, (0..<5).map { "\(topic)-\($0)" })
            let consumer = try await client.joinGroup(topic, group: "managed", from: .earliest, stopWhenIdle: true)
            for try await message in consumer { message.ack() }
            try await consumer.flushAcks()
            try await consumer.leave()
            _ = try await client.committedOffset(topic, group: "manual", creatingAt: .earliest)
            try await client.commit(topic, group: "manual", offset: 3)
        }
        try await client.deleteGroup("orders", group: "manual")
        try await client.deleteTopic("audit")
        // Acknowledged requests: every change they made is in the trace.
        await client.close()
        await Self.kill(daemon)

        // Leftovers startup removes: a group being created when the daemon died, and the groups of
        // a topic deleted before its groups were.
        for leftover in [groups + "/orders/.creating-half", groups + "/gone/old"] {
            try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: leftover + "/group.json"))
        }
        traces.append(dir.path + "/second.trace")
        daemon = try await Self.startTraced(in: dir.path, trace: traces[1])
        client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        #expect(try await client.listGroups().map { "\($0.topic)/\($0.group)" }.sorted() == ["orders/managed"])
        await client.close()
        await Self.kill(daemon)
        #expect(!FileManager.default.fileExists(atPath: groups + "/orders/.creating-half"))
        #expect(!FileManager.default.fileExists(atPath: groups + "/gone"))

        for trace in traces {
            let parsed = DirectorySyncTrace(log: try String(contentsOfFile: trace, encoding: .utf8))
            let changes = parsed.events.filter {
                if case .changed(let entry, _) = $0 { return entry.hasPrefix(groups) }
                return false
            }
            #expect(changes.count > 3, "\(trace): the trace saw no changes under groups/; is strace working?")
            let missing = parsed.unsyncedChanges(under: groups)
            #expect(missing.isEmpty, "\(trace):\n\(missing.joined(separator: "\n"))")
        }
    }
}
