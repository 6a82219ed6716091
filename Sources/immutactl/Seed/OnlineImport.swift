import Immuta
import ImmutaProtocol
import ImmutaStorage
import NIOCore

/// `immutactl import FILE TOPIC` with immutad running: the file is checked whole first, so a
/// malformed one appends nothing (and, with --create, leaves no topic behind); then its records go
/// through the daemon in atomic chunks of about 1 MiB, idempotently and in file order, while other
/// producers keep writing (their records may land between two chunks).
struct OnlineImport {
    var file: String
    var topic: String
    var layout: SeedLayout?
    var create: Bool
    var connection: ConnectionOptions

    static let chunkBytes = 1 << 20
    static let chunksInFlight = 8

    func run() async throws {
        let source = try SeedSource(path: file)
        try await ImmutaClient.with(connection) { client in
            // The frame carries the topic name and a few header fields besides the records.
            let frameLimit = UInt64(client.maxFrameLength - 64 - topic.utf8.count - 8)
            var existing: TopicDescription?
            do {
                existing = try await client.describeTopicToProduce(topic)
            } catch let error as ImmutaError where error.code == .topicNotFound && create {
                existing = nil
            } catch let error as ImmutaError where error.code == .topicNotFound {
                throw ImmutaError(code: error.code, message: "topic \(topic) does not exist; add --create to create it")
            }
            let scan = try SeedScanner.scan(source, layout: layout, maxPayload: min(existing?.maxRecordBytes ?? frameLimit, frameLimit))
            var target = existing
            var created = false
            if target == nil {
                do {
                    target = try await client.createTopic(topic)
                    created = true
                } catch let error as ImmutaError where error.code == .topicExists {
                    target = try await client.describeTopicToProduce(topic)
                }
            }
            do {
                try checkRecordSizes(source, scan, fit: target!)
                let summary = try await produce(source, scan)
                print("imported \(scan.records == 1 ? "1 record" : "\(scan.records) records") (\(scan.layout.rawValue) layout) from \(source.name) into \(summary.offsets(topic))")
            } catch {
                guard created else { throw error }
                // All or nothing: the topic made for this import goes with what reached it.
                try? await client.deleteTopic(topic)
                throw CLIError("\(error); topic \(topic), created for this import, was deleted again")
            }
        }
    }

    /// The topic's own record limit, when lower than a frame's (a topic just created): the first
    /// record over it is named.
    private func checkRecordSizes(_ source: SeedSource, _ scan: SeedScan, fit topic: TopicDescription) throws {
        guard scan.largestPayload > topic.maxRecordBytes else { return }
        do {
            _ = try SeedScanner.scanRecords(source, from: scan.dataStart, maxPayload: topic.maxRecordBytes, layout: scan.layout)
        } catch let problem as SeedProblem {
            throw CLIError("\(source.name) cannot go into topic \(self.topic) \(problem) (the topic's max record size)")
        }
    }

    /// Sends the chunks, a few at a time, through an idempotent producer: a chunk resent after a
    /// lost connection is not stored twice, and once one fails none behind it is stored.
    private func produce(_ source: SeedSource, _ scan: SeedScan) async throws -> ImportSummary {
        var chunks = SeedChunks(source, from: scan.dataStart, batchBytes: Self.chunkBytes)
        var production = PipelinedProduction(
            topic: topic, ack: .fsync, depth: Self.chunksInFlight, connection: connection, clientName: "immutactl import",
            reconnect: try Reconnection.policy(resuming: "resending what was not acknowledged"))
        let allocator = ByteBufferAllocator()
        var summary = ImportSummary()
        let progress = Progress("import into \(topic)", totalRecords: scan.records, totalBytes: source.size)
        defer { progress.finish() }
        let settled = { (result: ProduceResult) in
            summary.add(result)
            progress.add(records: result.count, bytes: 0)
        }
        do {
            while let chunk = try chunks.next(allocator: allocator) {
                progress.add(records: 0, bytes: chunk.framed.readableBytes)
                guard await production.send(chunk.framed, count: chunk.count, settled: settled) else { break }
            }
        } catch {
            production.fail(error)
        }
        await production.finish(settled: settled)
        if let failure = production.failure {
            throw CLIError("\(failure) (after \(summary.offsets(topic)) had been appended)")
        }
        return summary
    }
}

/// Where an import's chunks landed. Other producers' records may lie between chunks, so the
/// range is contiguous only when the counts add up.
struct ImportSummary {
    var records: UInt64 = 0
    var first: UInt64?
    var last: UInt64 = 0

    mutating func add(_ result: ProduceResult) {
        records += UInt64(result.count)
        first = min(first ?? result.firstOffset, result.firstOffset)
        last = max(last, result.lastOffset)
    }

    func offsets(_ topic: String) -> String {
        guard let first else { return "\(topic): no records" }
        if records == 1 { return "\(topic): offset \(first)" }
        let span = last - first + 1
        return "\(topic): offsets \(first)..\(last)" + (span == records ? "" : " (with \(span - records) records of other producers among them)")
    }
}
