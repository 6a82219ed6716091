import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: the socket and the files.
extension AccessControlTests {
    @Test func theSocketGetsItsModeAndGroupAndEveryFileIsPrivate() async throws {
        let users = try await AccessUsers.ensure()
        let config = """
            socket_mode: "0660"
            socket_group: immuta-t-web
            min_segment_bytes: 4KiB
            access:
              grants:
                - name: web uses orders
                  groups: [immuta-t-web]
                  allow: [produce, consume]
                  topics: ["orders"]

            """
        let daemon = try await AccessDaemon.start(config: config)
        let socket = try FileMode(daemon.socket)
        #expect(socket.permissions == 0o660, "socket mode \(String(socket.permissions, radix: 8))")
        #expect(socket.gid == users.webGID, "socket gid \(socket.gid)")
        try await daemon.expect(0, as: users.alice, ["status"], says: ["you:         \(users.alice.who)"])
        try await daemon.expect(
            77, as: users.bob, ["status"], says: ["cannot connect to immutad at \(daemon.socket): permission denied"])

        let status = try String(contentsOfFile: "/proc/\(daemon.daemon.pid)/status", encoding: .utf8)
        let umask = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        #expect(umask?.split(separator: "\t").last == "0077", "\(umask ?? "no Umask line")")

        // Everything that creates files: topics, an idempotent producer's state, groups, a reset.
        try await daemon.expect(0, as: nil, ["topic", "create", "orders", "--durability", "fsync", "--segment-bytes", "4KiB"])
        let lines = (0..<200).map { "record \($0) \(String(repeating: "x", count: 40))\n" }.joined()
        try await daemon.expect(0, as: nil, ["produce", "orders"], stdin: lines, says: ["produced 200 records"])
        try await daemon.expect(0, as: users.alice, ["produce", "orders"], stdin: "from alice\n")
        try await daemon.expect(0, as: nil, ["consume", "orders", "--group", "g1", "--from", "earliest", "--count", "5"])
        try await daemon.expect(0, as: users.alice, ["consume", "orders", "--group", "g2", "--from", "earliest"])
        try await daemon.expect(0, as: nil, ["group", "reset", "orders", "g1", "--to-earliest", "--execute"])
        let client = try await daemon.rootClient()
        try await client.createTopic("other", options: TopicOptions(durability: "none"))
        _ = try await client.produce("other", [Array("x".utf8)], ack: .write)
        await client.close()

        let data = daemon.daemon.dataDirectory
        #expect(try FileMode(data).permissions == 0o700)
        let paths = try #require(FileManager.default.subpaths(atPath: data))
        for required in ["topics/orders/producers", "groups/orders/g1", "groups/orders/g2", "topics/other"] {
            #expect(paths.contains(required), "\(required) in \(paths.sorted())")
        }
        var files = 0
        for path in paths {
            let mode = try FileMode(data + "/" + path)
            if mode.isDirectory {
                #expect(mode.permissions == 0o700, "\(path) is \(String(mode.permissions, radix: 8))")
            } else {
                #expect(mode.isRegular, "\(path) is neither a directory nor a file")
                #expect(mode.permissions == 0o600, "\(path) is \(String(mode.permissions, radix: 8))")
                files += 1
            }
        }
        #expect(files >= 10, "\(paths.sorted())")
        #expect(await daemon.daemon.stop() == 0)
    }

    @Test func aSocketGroupThatDoesNotExistStopsTheDaemon() async throws {
        let dir = TemporaryDirectory(prefix: "acl")
        let daemon = try await DaemonProcess.start(
            in: dir.path, config: "socket_group: immuta-t-no-such-group\n", waitUntilReady: false)
        #expect(await daemon.waitForExit() != 0)
        #expect(daemon.output.contains("socket_group immuta-t-no-such-group: no such group"), "\(daemon.output)")
        #expect(!daemon.output.contains("accepting connections"), "\(daemon.output)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "the socket it could not set up is removed")
    }

    @Test func runningInPlaceGrantsEverythingToItsOwnUserAndNothingToOthers() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: nil)
        #expect(daemon.daemon.output.contains("access: running in place"), "\(daemon.daemon.output)")
        #expect(try FileMode(daemon.socket).permissions == 0o660, "the default socket_mode")
        // Let the others reach it, to see what they may do: nothing.
        #expect(chmod(daemon.socket, 0o666) == 0)
        try await daemon.expect(0, as: nil, ["topic", "create", "orders", "--durability", "none"])
        try await daemon.expect(0, as: nil, ["produce", "orders"], stdin: "r\n")
        try await daemon.expect(0, as: users.alice, ["topic", "list", "--json"], says: ["[]"])
        try await daemon.expect(
            77, as: users.alice, ["produce", "orders"], stdin: "a\n", says: ["\(users.alice.who) may not produce to topic orders"])
        try await daemon.expect(77, as: users.ops, ["topic", "create", "x"], says: ["\(users.ops.who) may not administer topic x"])
        try await daemon.expect(
            1, as: users.alice, ["acl", "check", "--topic", "orders", "--op", "consume"], says: ["no grant names the user or its groups"])
        try await daemon.expect(0, as: nil, ["acl", "check", "--topic", "orders", "--op", "admin"], says: ["allowed: "])
        #expect(await daemon.daemon.stop() == 0)
    }
}

extension AccessControlTests {
    /// A data directory left readable by others (an older release made it 0750, files 0640) is
    /// made private at start, for every mode that lets anyone else in, and the start says so.
    @Test func aDataDirectoryOpenToOthersIsMadePrivateAtStart() async throws {
        for mode: mode_t in [0o755, 0o750, 0o705, 0o770, 0o711] {
            let directory = TemporaryDirectory(prefix: "acl")
            let data = directory.path + "/data"
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            #expect(chmod(data, mode) == 0)
            let daemon = try await DaemonProcess.start(in: directory.path)
            #expect(try FileMode(data).permissions == 0o700, "mode \(String(mode, radix: 8))")
            #expect(daemon.output.contains("made the data directory private"), "\(daemon.output)")
            #expect(daemon.output.contains("old_mode=\(String(mode, radix: 8))"), "\(daemon.output)")
            #expect(await daemon.stop() == 0)
        }
        // Already private: nothing to say.
        let directory = TemporaryDirectory(prefix: "acl")
        let daemon = try await DaemonProcess.start(in: directory.path)
        #expect(!daemon.output.contains("made the data directory private"), "\(daemon.output)")
        #expect(await daemon.stop() == 0)
    }
}
