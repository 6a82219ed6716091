import ImmutaLocks
import ImmutaTestSupport
import Synchronization
import Testing

@testable import ImmutaStorage

/// When appends reach the disk: `fsync` (group commit), `interval:N` and `none`, and how the
/// setting is parsed. On a disk-backed directory: on a tmpfs every flush is free and instant,
/// which hides the timing of group commit. DurabilitySyncTests counts the real fdatasync calls.
@Suite(.timeLimit(.minutes(10))) struct DurabilityTests {
    private func synced(_ log: RecordLog) -> UInt64 { log.syncState.withLock { $0.synced } }

    @Test func fsyncWithManyConcurrentAppenders() async throws {
        try await withDiskTemporaryDirectory("durability") { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "fsync log", configuration: TestLogs.small(durability: .fsync))
            let appenders = 32
            let batches = 10
            let done = try await withThrowingTaskGroup(of: Int.self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        for batch in 0..<batches {
                            let result = try log.append([[UInt8(appender), UInt8(batch)], [UInt8(batch)]])
                            try await log.waitUntilDurable(result)
                            // Durable means everything up to the batch was flushed.
                            #expect(log.syncState.withLock { $0.synced } >= result.nextOffset)
                        }
                        return batches
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(done == appenders * batches)
            #expect(log.bounds.nextOffset == UInt64(appenders * batches * 2))
            #expect(synced(log) == log.bounds.nextOffset)
            #expect(log.syncState.withLock { $0.waiters.isEmpty && $0.failure == nil })
            // Every record is there, each appender's in order.
            let records = try readAll(log)
            for appender in 0..<appenders {
                let mine = records.filter { $0.payload.count == 2 && $0.payload[0] == UInt8(appender) }
                #expect(mine.map { Int($0.payload[1]) } == Array(0..<batches))
            }
            try log.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test func fsyncFlushesInTheBackgroundWithoutAWaiter() async throws {
        try await withDiskTemporaryDirectory("durability") { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "fsync log", configuration: TestLogs.small(durability: .fsync))
            for round in 1...5 {
                let result = try log.append([[UInt8(round)]])
                #expect(await eventually { synced(log) >= result.nextOffset })
            }
            try log.close()
        }
    }

    @Test func intervalFlushesWithinTheInterval() async throws {
        try await withDiskTemporaryDirectory("durability") { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "interval log", configuration: TestLogs.small(durability: .interval(milliseconds: 5)))
            for round in 1...5 {
                let result = try log.append([[UInt8(round)], [1]])
                #expect(await eventually { synced(log) >= result.nextOffset }, "flushed by the timer, with no one waiting")
                #expect(await eventually { !log.syncState.withLock { $0.intervalArmed } })
            }
            try log.close()
        }
    }

    @Test func intervalDefersTheFlush() async throws {
        try await withDiskTemporaryDirectory("durability") { dir in
            let (log, _) = try RecordLog.open(
                directory: dir, name: "interval log", configuration: TestLogs.small(durability: .interval(milliseconds: 3_600_000)))
            let first = try log.append([[1]])
            let second = try log.append([[2]])
            #expect(log.syncState.withLock { $0.intervalArmed }, "one flush is scheduled")
            #expect(synced(log) == 0, "and none has run: an hour has not passed")
            // Asking for durability flushes now.
            try await log.waitUntilDurable(first)
            #expect(synced(log) >= second.nextOffset, "one flush covers everything written before it")
            try log.close()
        }
    }

    @Test func noneNeverFlushesUnlessAsked() async throws {
        try await withDiskTemporaryDirectory("durability") { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "none log", configuration: TestLogs.small(durability: .none))
            var last = try log.append([[0]])
            for round in 1...20 { last = try log.append([[UInt8(round)]]) }
            let state = log.syncState.withLock { ($0.synced, $0.requested, $0.running, $0.intervalArmed) }
            #expect(state == (0, 0, false, false), "no flush was requested or scheduled")
            try await log.waitUntilDurable(last)
            #expect(synced(log) == last.nextOffset, "waitUntilDurable flushes whatever the setting")
            try log.sync()
            try log.close()
        }
    }

    @Test func parsing() throws {
        #expect(try Durability(parsing: "none") == .none)
        #expect(try Durability(parsing: "fsync") == .fsync)
        for ms in [1, 2, 10, 250, 1000, 3_600_000] {
            #expect(try Durability(parsing: "interval:\(ms)") == .interval(milliseconds: ms))
            #expect(Durability.interval(milliseconds: ms).description == "interval:\(ms)")
        }
        for value in [Durability.none, .fsync, .interval(milliseconds: 42)] {
            #expect(try Durability(parsing: value.description) == value)
        }
        let junk = [
            "", " ", "NONE", "None", "FSYNC", "Fsync", " fsync", "fsync ", "sync", "always", "never", "interval",
            "interval:", "interval:0", "interval:-1", "interval:-5", "interval:3600001", "interval:abc", "interval:1.5",
            "interval: 5", "interval:5 ", "interval:5ms", "interval:1e3", "interval=5", "interval5", "interval:99999999999999999999",
            "fsync:1", "none:5", "interval:5:5", "5", "\u{0}",
        ]
        for text in junk {
            do {
                let parsed = try Durability(parsing: text)
                Issue.record("\(String(reflecting: text)) parsed as \(parsed)")
            } catch let error as StorageError {
                guard case .invalidConfiguration(let message) = error else {
                    Issue.record("\(String(reflecting: text)): \(error)")
                    continue
                }
                #expect(message.contains(String(reflecting: text)), "the message quotes the input: \(message)")
                #expect(message.contains("none, fsync, interval:MS (MS from 1 to 3600000)"), "the message says what is allowed: \(message)")
            }
        }
    }

    @Test func configurationValidation() async throws {
        let bad: [(RecordLogConfiguration, String)] = [
            (RecordLogConfiguration(segmentBytes: 4095), "segment size 4095 must be from 4096 to 1099511627776 bytes"),
            (RecordLogConfiguration(segmentBytes: (1 << 40) + 1), "segment size 1099511627777 must be from 4096"),
            (RecordLogConfiguration(segmentBytes: .max), "segment size 18446744073709551615 must be from 4096"),
            (RecordLogConfiguration(maxRecordBytes: 0), "maximum record size 0 must be from 1 to 1073741824 bytes"),
            (RecordLogConfiguration(maxRecordBytes: (1 << 30) + 1), "maximum record size 1073741825 must be from 1"),
            (RecordLogConfiguration(retentionBytes: 0), "retention bytes must be positive"),
            (RecordLogConfiguration(retentionMilliseconds: 0), "retention age 0 ms must be between 1 s and 100 years"),
            (RecordLogConfiguration(retentionMilliseconds: -1), "retention age -1 ms must be between 1 s and 100 years"),
            (RecordLogConfiguration(retentionMilliseconds: 999), "retention age 999 ms must be between 1 s and 100 years"),
            (RecordLogConfiguration(retentionMilliseconds: .min), "must be between 1 s and 100 years"),
            (RecordLogConfiguration(retentionMilliseconds: .max), "must be between 1 s and 100 years"),
            (RecordLogConfiguration(retentionMilliseconds: 3_155_760_000_001), "must be between 1 s and 100 years"),
            (RecordLogConfiguration(durability: .interval(milliseconds: 0)), "durability interval 0 ms must be from 1 to 3600000 ms"),
            (RecordLogConfiguration(durability: .interval(milliseconds: 3_600_001)), "durability interval 3600001 ms must be from 1"),
            (RecordLogConfiguration(durability: .interval(milliseconds: .min)), "must be from 1 to 3600000 ms"),
        ]
        try await withTemporaryDirectory { dir in
            for (configuration, says) in bad {
                #expect(throws: StorageError.self) { try configuration.validate() }
                do {
                    _ = try RecordLog.open(directory: dir + "/log", name: "bad", configuration: configuration)
                    Issue.record("opened with \(configuration)")
                } catch {
                    #expect(String(describing: error).contains(says), "\(error)")
                }
                #expect(!TestFiles.exists(dir + "/log"), "nothing created")
            }
        }
    }
}
