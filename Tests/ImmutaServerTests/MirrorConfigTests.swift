import Foundation
import ImmutaMirror
import ImmutaServer
import Testing

/// `host_id`, `mirrors` and `sources` in immuta.conf: what parses with its defaults, and every
/// value out of range refused with its line, its setting and what is allowed.
@Suite struct MirrorConfigTests {
    static let mirror = """
        host_id: edge-17
        mirrors:
          - name: central
            topics: ["orders", "events.*"]
            servers: ["nats://10.0.0.5:4222", "tls://10.0.0.6:4222"]
            SETTING
        """

    @Test func aFullConfigurationParses() throws {
        let settings = try ConfigFile.parse(
            """
            host_id: edge-17
            mirrors:
              - name: central
                topics: ["orders", "events.*"]
                servers: ["nats://10.0.0.5:4222"]
                credentials: /etc/immuta/nats.creds
                tls: {ca: /ca.pem, cert: /c.pem, key: /k.pem, server_name: nats.example}
                stream: "S_{host}_{topic}"
                subject: "s.{host}.{topic}"
                replicas: 5
                duplicate_window: 10m
                window: 1024
                publish_timeout: 750ms
                start: 1200
                lag_warning: 5s
                max_topics: 8
              - name: backup
                topics: "*"
                servers: nats://10.0.0.9:4222
                nkey: {public: UABC, seed_file: /etc/immuta/nats.nk}
            sources:
              - name: commands
                servers: ["nats://10.0.0.5:4222"]
                stream: COMMANDS
                filter_subject: "commands.edge-17.>"
                topic: commands
                batch: 500
                ack_wait: 2m
            """, file: "t.conf")
        let mirroring = settings.mirroring
        #expect(mirroring.hostID == "edge-17")
        #expect(mirroring.mirrors.map(\.name) == ["central", "backup"])
        let central = mirroring.mirrors[0]
        #expect(central.topics == ["orders", "events.*"] && central.endpoint.servers == ["nats://10.0.0.5:4222"])
        #expect(central.endpoint.credentialsFile == "/etc/immuta/nats.creds")
        #expect(central.endpoint.tls == NatsEndpoint.TLS(caFile: "/ca.pem", certificateFile: "/c.pem", keyFile: "/k.pem", serverName: "nats.example"))
        #expect(central.stream == "S_{host}_{topic}" && central.subject == "s.{host}.{topic}" && central.replicas == 5)
        #expect(central.duplicateWindowMilliseconds == 600_000 && central.window == 1024 && central.publishTimeoutMilliseconds == 750)
        #expect(central.start == .offset(1200) && central.lagWarningMilliseconds == 5000 && central.maxTopics == 8)
        let backup = mirroring.mirrors[1]
        #expect(backup.topics == ["*"] && backup.endpoint.nkey == NatsEndpoint.NKey(publicKey: "UABC", seedFile: "/etc/immuta/nats.nk"))
        // Defaults.
        #expect(backup.stream == "IMMUTA_{host}_{topic}" && backup.subject == "immuta.{host}.{topic}" && backup.replicas == 3)
        #expect(backup.window == 256 && backup.duplicateWindowMilliseconds == 120_000 && backup.publishTimeoutMilliseconds == 5000)
        #expect(backup.start == .earliest && backup.maxTopics == 64)
        let source = try #require(mirroring.sources.first)
        #expect(source.name == "commands" && source.stream == "COMMANDS" && source.topic == "commands")
        #expect(source.filterSubject == "commands.edge-17.>" && source.batch == 500 && source.ackWaitMilliseconds == 120_000)
        #expect(source.consumer == "immuta_{host}_{name}")
    }

    @Test func withoutMirrorsTheHostIDDefaultsToTheMachineID() throws {
        let settings = try ConfigFile.parse("log_level: info\n", file: "t.conf")
        #expect(settings.mirroring.mirrors.isEmpty && settings.mirroring.sources.isEmpty)
        #expect(!settings.mirroring.hostID.isEmpty && MirrorNames.streamName(settings.mirroring.hostID) == settings.mirroring.hostID)
    }

    /// Every mirror setting out of its range, one at a time: refused, naming the setting (with
    /// the entry's number) and what is allowed.
    @Test(arguments: [
        ("replicas: 0", "mirrors[1].replicas", "from 1 to 5"),
        ("replicas: 6", "mirrors[1].replicas", "from 1 to 5"),
        ("window: 0", "mirrors[1].window", "from 1 to 65536"),
        ("window: 65537", "mirrors[1].window", "from 1 to 65536"),
        ("duplicate_window: 1m", "mirrors[1].duplicate_window", "from 2m to 7d"),
        ("duplicate_window: 8d", "mirrors[1].duplicate_window", "from 2m to 7d"),
        ("publish_timeout: 50ms", "mirrors[1].publish_timeout", "from 100ms to 10m"),
        ("publish_timeout: 11m", "mirrors[1].publish_timeout", "from 100ms to 10m"),
        ("publish_timeout: soon", "mirrors[1].publish_timeout", "positive duration"),
        ("lag_warning: 500ms", "mirrors[1].lag_warning", "from 1s to 7d"),
        ("max_topics: 0", "mirrors[1].max_topics", "from 1 to 1024"),
        ("max_topics: 1025", "mirrors[1].max_topics", "from 1 to 1024"),
        ("start: -1", "mirrors[1].start", "earliest, latest or an offset"),
        ("start: first", "mirrors[1].start", "earliest, latest or an offset"),
        ("stream: \"\"", "mirrors[1].stream", "non-empty"),
        ("colour: blue", "mirrors[1].colour", "is not a mirror setting"),
        ("tls: {cert: /c.pem}", "mirrors[1].tls", "both cert and key"),
        ("tls: {ca: /ca.pem, pin: x}", "mirrors[1].tls.pin", "is not a TLS setting"),
        ("nkey: {public: UABC}", "mirrors[1].nkey", "needs public"),
        ("nkey: /etc/nk", "mirrors[1].nkey", "public and seed_file"),
    ])
    func outOfRangeMirrorSettingsAreRefused(setting: String, name: String, allowed: String) {
        expectRefused(Self.mirror.replacingOccurrences(of: "SETTING", with: setting), name: name, allowed: allowed)
    }

    /// Whole entries and top-level values that are wrong.
    @Test(arguments: [
        ("host_id: \"edge 17\"", "host_id", "1 to 64 ASCII letters"),
        ("host_id: \(String(repeating: "h", count: 65))", "host_id", "1 to 64 ASCII letters"),
        ("mirrors: {name: x}", "mirrors", "must be a list"),
        ("mirrors:\n  - topics: [a]\n    servers: [nats://h:1]", "mirrors[1]", "needs name"),
        ("mirrors:\n  - name: m\n    servers: [nats://h:1]", "mirrors[1]", "needs topics"),
        ("mirrors:\n  - name: m\n    topics: [a]", "mirrors[1]", "needs servers"),
        ("mirrors:\n  - name: bad/name\n    topics: [a]\n    servers: [nats://h:1]", "mirrors[1].name", "ASCII letters"),
        ("mirrors:\n  - name: m\n    topics: [\"a/b\"]\n    servers: [nats://h:1]", "mirrors[1].topics", "topic names or patterns"),
        ("mirrors:\n  - name: m\n    topics: [a]\n    servers: []", "mirrors[1].servers", "1 to 32 server URLs"),
        ("mirrors:\n  - name: m\n    topics: [a]\n    servers: [\"http://h:1\"]", "mirrors[1].servers", "nats://host:4222"),
        ("mirrors:\n  - {name: m, topics: [a], servers: [nats://h:1]}\n  - {name: m, topics: [b], servers: [nats://h:1]}", "mirrors[2].name", "used twice"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: S}", "sources[1]", "needs topic"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: \"A.B\", topic: t}", "sources[1].stream", "stream name"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: S, topic: \"../t\"}", "sources[1].topic", "topic name"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: S, topic: t, batch: 0}", "sources[1].batch", "from 1 to 10000"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: S, topic: t, batch: 10001}", "sources[1].batch", "from 1 to 10000"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: S, topic: t, ack_wait: 500ms}", "sources[1].ack_wait", "from 1s to 1h"),
        ("sources:\n  - {name: s, servers: [nats://h:1], stream: S, topic: t, window: 5}", "sources[1].window", "is not a source setting"),
    ])
    func wrongEntriesAreRefused(text: String, name: String, allowed: String) {
        expectRefused(text, name: name, allowed: allowed)
    }

    private func expectRefused(_ text: String, name: String, allowed: String) {
        do {
            _ = try ConfigFile.parse(text, file: "t.conf")
            Issue.record("accepted:\n\(text)")
        } catch {
            let message = "\(error)"
            #expect(message.contains(name + ":") && message.contains(allowed), "\(message)")
            #expect(message.hasPrefix("t.conf:"), "\(message)")
        }
    }
}
