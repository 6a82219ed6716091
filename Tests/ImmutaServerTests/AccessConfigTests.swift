import ImmutaServer
import Testing

/// The `access` section of immuta.conf: what parses, and what is refused with its line and why.
@Suite struct AccessConfigTests {
    @Test func grantsAndLimitsParse() throws {
        let settings = try ConfigFile.parse(
            """
            socket_group: immuta
            access:
              grants:
                - name: services
                  groups: [immuta, 2000]
                  allow: [produce, consume]
                  topics: ["*"]
                - users: [alice, 1001]
                  allow: all
                  topics: [orders, "orders.*"]
                  consumer_groups: ["alice-*"]
              limits:
                - users: ["*"]
                  max_connections: 64
                  max_queued_reply_bytes: 1MiB
                  max_topics: 5
                  max_groups: 0
            """, file: "t.conf")
        let access = settings.server.access
        #expect(settings.server.socketGroup == "immuta")
        #expect(access.grants.count == 2)
        #expect(access.grants[0].label == "grant \"services\"")
        #expect(access.grants[0].subjects == [.groupName("immuta"), .gid(2000)])
        #expect(access.grants[0].operations == [.produce, .consume])
        #expect(access.grants[1].label == "grant 2")
        #expect(access.grants[1].subjects == [.userName("alice"), .uid(1001)])
        #expect(access.grants[1].operations == Set(AccessOperation.allCases))
        #expect(access.grants[1].consumerGroups == [NamePattern("alice-*")])
        #expect(access.limits == [
            IdentityLimitRule(label: "1", subjects: [.anyone], maxConnections: 64, maxQueuedReplyBytes: 1 << 20, maxTopics: 5, maxGroups: 0)
        ])
    }

    /// A configuration file grants nothing it does not say, whatever the run-in-place default.
    @Test func aFileWithoutAnAccessSectionGrantsNothing() throws {
        #expect(DaemonSettings.runInPlace.server.access.grants.count == 1)
        #expect(DaemonSettings.runInPlace.accessNote?.contains("running in place") == true)
        let settings = try ConfigFile.parse("log_level: info\n", file: "t.conf")
        #expect(settings.server.access.grants.isEmpty)
        #expect(settings.accessNote == nil)
    }

    static let refused: [(text: String, line: Int, says: String)] = [
        ("access: [1]", 1, "access: must be a mapping"),
        ("access:\n  grant: []", 2, "access.grant: is not an access setting; known: grants, limits"),
        ("access:\n  grants: {a: 1}", 2, "access.grants: must be a list"),
        ("access:\n  grants:\n    - allow: [produce]\n      topics: [a]", 3, "names nobody"),
        ("access:\n  grants:\n    - users: [a]\n      topics: [a]", 3, "allow: is missing"),
        ("access:\n  grants:\n    - users: [a]\n      allow: [read]\n      topics: [a]", 4, "read is not produce, consume, admin or all"),
        ("access:\n  grants:\n    - users: [a]\n      allow: [produce]", 3, "topics: is missing"),
        ("access:\n  grants:\n    - users: [a]\n      allow: [produce]\n      topics: []", 5, "must list at least one name or glob"),
        ("access:\n  grants:\n    - users: [a]\n      allow: [produce]\n      topics: [\"bad name\"]", 5, "bad name"),
        ("access:\n  grants:\n    - users: [\"a b\"]\n      allow: [produce]\n      topics: [t]", 3, "a b is not a user or group name"),
        ("access:\n  grants:\n    - users: [a]\n      allow: [produce]\n      topics: [t]\n      consumer_groups: [g]", 3, "applies to consume, which this grant does not allow"),
        ("access:\n  grants:\n    - users: [a]\n      allow: [produce]\n      topics: [t]\n      topic: [t]", 6, "is not a grant setting"),
        ("access:\n  limits:\n    - users: [a]", 3, "sets no limit"),
        ("access:\n  limits:\n    - users: [a]\n      max_connections: 0", 4, "must be a whole number from 1 to 1000000"),
        ("access:\n  limits:\n    - users: [a]\n      max_topics: -1", 4, "must be a whole number from 0 to 1000000"),
        ("access:\n  limits:\n    - users: [a]\n      max_queued_reply_bytes: 1KiB", 4, "must be a size from 65536"),
        ("access:\n  limits:\n    - groups: [g]\n      max_sessions: 3", 4, "is not a per-user limit"),
        ("access:\n  limits:\n    - max_connections: 3", 3, "names nobody"),
    ]

    @Test func badRulesAreRefusedWithTheirLineAndWhy() {
        for (text, line, says) in Self.refused {
            do {
                _ = try ConfigFile.parse(text, file: "t.conf")
                Issue.record("accepted:\n\(text)")
            } catch {
                #expect(error.line == line, "\(text)\n→ \(error)")
                #expect(error.description.contains(says), "\(text)\n→ \(error)")
            }
        }
    }
}
