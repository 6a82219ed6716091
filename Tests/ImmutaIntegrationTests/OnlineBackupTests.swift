import Foundation
import ImmutaLocks
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Synchronization
import Testing

/// The online backup of docs/OPERATIONS.md (scripts/backup-online.sh), run against a live immutad
/// whose producers roll segments throughout: every copy opens, verifies, and holds every record
/// acknowledged before the backup began.
@Suite(.timeLimit(.minutes(15))) struct OnlineBackupTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/backup-online.sh").path

    /// A `cp` for the script's PATH that, having copied the index of the topic's active segment,
    /// waits until more records went into that segment and it rolled (the producers never stop):
    /// the segment is then sealed, and longer than its copied index, before its data is copied.
    /// The worst case for a backup every time, instead of now and then.
    static func rollingCopy(in directory: String, watching topic: String) throws -> String {
        let bin = directory + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try """
            #!/bin/sh
            newest() { ls "\(topic)" | grep '[.]log$' | sort | tail -n 1; }
            /bin/cp "$@" || exit
            for argument; do source=$last; last=$argument; done
            case "$last" in *.idx) ;; *) exit 0 ;; esac
            case "$source" in "\(topic)/"*) ;; *) exit 0 ;; esac
            active=$(basename "$last" .idx).log
            [ "$(newest)" = "$active" ] || exit 0
            copied=$(stat -c %s "$last")
            i=0
            while { [ "$(newest)" = "$active" ] || [ "$(stat -c %s "$source")" -le "$copied" ]; } && [ $i -lt 2000 ]; do
                sleep 0.005
                i=$((i + 1))
            done
            """.write(toFile: bin + "/cp", atomically: true, encoding: .utf8)
        chmod(bin + "/cp", 0o755)
        return bin
    }

    @Test func backupWhileSegmentsRollRestoresEveryAcknowledgedRecord() async throws {
        let dir = TemporaryDirectory(prefix: "bak")
        let daemon = try await DaemonProcess.start(in: dir.path, config: "min_segment_bytes: 4KiB\n")
        let admin = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        // 128 KiB segments: a few per round, and the segment active when a backup lists the topic
        // is usually still active when its index is copied (rollingCopy then forces the roll).
        try await admin.createTopic("ledger", options: TopicOptions(durability: "none", segmentBytes: 128 << 10))
        _ = try await admin.committedOffset("ledger", group: "audit", creatingAt: .earliest)

        let bin = try Self.rollingCopy(in: dir.path, watching: daemon.dataDirectory + "/topics/ledger")
        let acknowledged = Acknowledged()
        let socket = daemon.socketPath
        let producers = (0..<2).map { producer in
            Task {
                let client = try await ImmutaClient.connect(socketPath: socket)
                var batch = 0
                while !Task.isCancelled {
                    let payloads = (0..<(1 + batch % 4)).map { Array("p\(producer)-b\(batch)-\($0)-".utf8) + [UInt8](repeating: UInt8(batch % 251), count: 50 + batch % 200) }
                    let result = try await client.produce("ledger", payloads, ack: .write)
                    acknowledged.records.withLock { acked in
                        for (i, payload) in payloads.enumerated() { acked[result.firstOffset + UInt64(i)] = payload }
                    }
                    batch += 1
                }
                await client.close()
            }
        }

        var rolledDuringABackup = false
        for round in 0..<2 {
            let target = (round + 1) * 1500
            let deadline = Deadline("for \(target) acknowledged records")
            while acknowledged.records.withLock({ $0.count }) < target {
                try deadline.check()
                try await Task.sleep(for: .milliseconds(5))
            }
            let before = acknowledged.records.withLock { $0 }
            let segmentsBefore = try await admin.describeTopic("ledger").segments
            let copy = dir.path + "/copy\(round)"
            let backup = try await withDeadline("for the backup script", timeout: .seconds(120)) {
                try await CliProcess(
                    [Self.script, daemon.dataDirectory, copy + "/data"], socket: nil, executable: "/bin/bash",
                    environment: [
                        "IMMUTAD": TestBinaries.path("immutad"), "IMMUTACTL": TestBinaries.path("immutactl"),
                        "PATH": bin + ":/usr/bin:/bin",
                    ]
                ).finish()
            }
            #expect(backup.status == 0, "round \(round): the backup failed: \(backup.out)\(backup.stderr)")
            if try await admin.describeTopic("ledger").segments > segmentsBefore { rolledDuringABackup = true }

            // Restore: a daemon on the copy serves every record acknowledged before the backup.
            let restored = try await DaemonProcess.start(in: copy)
            let reader = try await ImmutaClient.connect(socketPath: restored.socketPath)
            var found: [UInt64: [UInt8]] = [:]
            var offset: UInt64 = 0
            let end = try await reader.describeTopic("ledger").nextOffset
            while offset < end {
                let fetched = try await reader.fetch("ledger", from: .offset(offset), maxRecords: 10_000, maxBytes: 4 << 20)
                for record in fetched.records { found[record.offset] = record.bytes }
                try #require(fetched.nextOffset > offset, "a fetch at \(offset) made no progress")
                offset = fetched.nextOffset
            }
            let missing = before.keys.filter { found[$0] != before[$0] }.sorted()
            #expect(missing.isEmpty, "round \(round): \(missing.count) of \(before.count) acknowledged records lost or changed, from \(missing.first ?? 0)")
            #expect(try await reader.describeGroup("ledger", group: "audit").committedOffset <= end)
            await reader.close()
            #expect(await restored.stop() == 0)
        }
        #expect(rolledDuringABackup, "no segment rolled while a backup ran: the test did not exercise the hazard")
        for producer in producers { producer.cancel() }
        for producer in producers { _ = await producer.result }
        await admin.close()
        #expect(await daemon.stop() == 0)
    }
}
