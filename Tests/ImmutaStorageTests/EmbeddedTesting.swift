import ImmutaLocks
import Synchronization
import ImmutaTestSupport

@testable import ImmutaStorage

/// Helpers shared by the embedded-log suites.
enum EmbeddedTesting {
    /// An embedded log with the smallest segments and no fsync, so that streams cross segment
    /// boundaries within a few hundred records.
    static func open(_ directory: String, retentionBytes: UInt64? = nil, durability: Durability = .none) throws -> EmbeddedLog {
        var configuration = TestLogs.small(durability: durability)
        configuration.retentionBytes = retentionBytes
        return try EmbeddedLog.open(directory: directory + "/log", configuration: configuration)
    }

    /// Readers waiting for the log's next record: the readiness a test waits on before it appends
    /// what a waiting reader should be woken by.
    static func waitingReaders(_ log: EmbeddedLog) -> Int { log.log.shared.withLock { $0.waiters.count } }

    /// The first `count` records of `subscription`, or fewer when it ends first; fails after a
    /// deadline instead of hanging when the records never come.
    static func take(_ count: Int, from subscription: LogSubscription) async throws -> [Record] {
        try await withDeadline("\(count) records from offset \(subscription.startOffset)") {
            var records: [Record] = []
            guard count > 0 else { return records }
            for try await record in subscription {
                records.append(record)
                if records.count == count { break }
            }
            return records
        }
    }

    /// The payload of record `offset` in the logs these suites write.
    static func payload(_ offset: UInt64) -> [UInt8] { Array("record \(offset)".utf8) }

    /// Appends records `payload(next)` … one batch per entry of `batches`, of that many records.
    static func append(_ log: EmbeddedLog, batches: [Int]) async throws {
        for count in batches {
            let next = log.bounds.nextOffset
            try await log.append((0..<UInt64(count)).map { payload(next + $0) })
        }
    }

    /// Whether `records` are the consecutive records `first`, `first + 1`, … with the payloads
    /// ``append(_:batches:)`` wrote.
    static func areConsecutive(_ records: [Record], from first: UInt64) -> Bool {
        records.enumerated().allSatisfy { i, record in
            record.offset == first + UInt64(i) && record.payload == payload(first + UInt64(i))
        }
    }
}
