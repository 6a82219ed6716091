import Glibc
import ImmutaSystemd
import Logging
import Testing

@Suite("JournalLogHandler", .timeLimit(.minutes(5)))
struct JournalLogHandlerTests {
    /// Whether this machine lets the tests make a private mount namespace (root, or unprivileged user
    /// namespaces with mount rights). Without one the end-to-end test is skipped and the field tests remain.
    static let privateMountNamespaceWorks: Bool = {
        let result = try? ChildProcess.run(["unshare", "--mount", "--", "mount", "-t", "tmpfs", "tmpfs", "/run"])
        return result?.status == 0
    }()

    /// libsystemd always writes to /run/systemd/journal/socket. The child gets its own mount namespace with
    /// an empty /run, and the test's datagram socket bind-mounted at that path: the probe logs through
    /// sd_journal_sendv exactly as under systemd, and the datagram lands in the test's socket.
    @Test(
        "an entry reaches the journal socket with every field",
        .enabled(if: privateMountNamespaceWorks, "unshare --mount is not permitted here: only journalFields is tested")
    )
    func entryReachesJournalSocket() throws {
        let directory = try TemporaryDirectory()
        let journal = try UnixSocket(type: Int32(SOCK_DGRAM.rawValue), address: .path(directory.path + "/journal.sock"))
        let script = """
            mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && : > /run/systemd/journal/socket \
            && mount --bind "$1" /run/systemd/journal/socket && exec "$2" journal
            """
        let child = try ChildProcess.run(
            ["unshare", "--mount", "--", "/bin/sh", "-c", script, "sh", journal.notifySocketValue, Paths.probe])
        #expect(child.status == 0, "\(child.standardOutput)\(child.standardError)")
        #expect(child.standardError == "", "the entry fell back to standard error")

        let fields = try JournalNativeProtocol.parse(try journal.receive())
        var values: [String: String] = [:]
        for field in fields {
            #expect(values[field.name] == nil, "field \(field.name) sent twice")
            values[field.name] = field.value
        }
        #expect(values["PRIORITY"] == "4")
        #expect(values["MESSAGE"] == "produce rejected\nbatch too large")
        #expect(fields.first { $0.name == "MESSAGE" }?.binary == true, "a multi-line value needs the binary form")
        #expect(values["CODE_FILE"] == child.reported["file"])
        #expect(values["CODE_LINE"] == child.reported["line"])
        #expect(values["CODE_FUNC"] == child.reported["function"])
        #expect(values["SYSLOG_IDENTIFIER"] == "immutad")
        #expect(values["TOPIC"] == "orders")
        #expect(values["GROUP"] == "billing")
        #expect(values["CLIENT_PID"] == "4242")
        #expect(values["CLIENT"] == "worker-1")
        #expect(values["REQUEST_ID"] == "17")
        #expect(values.count == 11, "unexpected fields: \(values.keys.sorted())")
        #expect(try journal.receiveIfQueued() == nil, "one statement, one entry")
    }

    @Test("the fields of an entry, in order")
    func fields() {
        let fields = JournalLogHandler.journalFields(
            level: .error,
            message: "segment 12 is corrupt",
            metadata: [
                "topic": "orders", "group": "billing", "client_pid": "4242", "client": "worker-1",
                "segment.base": "1200", "message": "shadow",
            ],
            file: "ImmutaStorage/Recovery.swift",
            function: "recover()",
            line: 42,
            identifier: "immutad"
        )
        #expect(
            fields.map(\.description) == [
                "PRIORITY=3",
                "MESSAGE=segment 12 is corrupt",
                "CODE_FILE=ImmutaStorage/Recovery.swift",
                "CODE_LINE=42",
                "CODE_FUNC=recover()",
                "SYSLOG_IDENTIFIER=immutad",
                "CLIENT=worker-1",
                "CLIENT_PID=4242",
                "GROUP=billing",
                "META_MESSAGE=shadow",
                "SEGMENT_BASE=1200",
                "TOPIC=orders",
            ]
        )
    }

    @Test("levels map to syslog priorities")
    func priorities() {
        let priorities = Logger.Level.allCases.map(\.syslogPriority)
        #expect(priorities == [7, 7, 6, 5, 4, 3, 2])
    }

    @Test(
        "metadata keys become valid journal field names",
        arguments: [
            ("topic", "TOPIC"), ("group", "GROUP"), ("client_pid", "CLIENT_PID"), ("client", "CLIENT"),
            ("request.id", "REQUEST_ID"), ("Peer-UID", "PEER_UID"), ("größe", "GR__E"),
            ("_trusted", "META__TRUSTED"), ("9lives", "META_9LIVES"), ("priority", "META_PRIORITY"),
            (String(repeating: "k", count: 80), String(repeating: "K", count: 64)),
        ]
    )
    func fieldNames(key: String, name: String) {
        #expect(JournalLogHandler.journalFieldName(forMetadataKey: key) == name)
    }

    @Test("an empty metadata key has no field")
    func emptyKey() {
        #expect(JournalLogHandler.journalFieldName(forMetadataKey: "") == nil)
    }
}
