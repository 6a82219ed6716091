import Immuta
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Records that carry the CLOCK_MONOTONIC time they were sent at in their first 8 bytes, and the
/// subscriber that turns them into latencies (`bench e2e`, `bench mixed`).
enum StampedRecords {
    /// `count` framed records of `size` bytes (at least 8), each stamped with `sentAt`.
    static func batch(count: Int, size: Int, sentAt: UInt64, padding: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count * (size + 8))
        for _ in 0..<count {
            buffer.writeInteger(UInt64(size), endianness: .little)
            buffer.writeInteger(sentAt, endianness: .little)
            buffer.writeBytes(padding)
        }
        return buffer
    }

    /// The bytes after the stamp in a record of `size` bytes.
    static func padding(size: Int) -> [UInt8] { [UInt8](repeating: 0x61, count: max(size - 8, 0)) }

    /// A subscription from `from` with the credit the read benchmarks use.
    static func subscribe(_ client: ImmutaClient, topic: String, from: UInt64) async throws -> ImmutaSubscription {
        try await client.subscribe(
            topic, from: .offset(from), creditRecords: BenchConsume.creditRecords, creditBytes: BenchConsume.creditBytes)
    }

    /// Receives `count` records and returns the latency of each from its stamp to its arrival.
    static func receive(_ subscription: ImmutaSubscription, count: Int) async throws -> Latencies {
        var latencies = Latencies()
        var received = 0
        for try await record in subscription {
            let arrived = monotonicNanoseconds()
            let sent = record.payload.getInteger(at: record.payload.readerIndex, endianness: .little, as: UInt64.self) ?? arrived
            latencies.record(nanoseconds: arrived > sent ? arrived - sent : 0)
            received += 1
            if received == count { break }
        }
        await subscription.cancel()
        guard received == count else { throw CLIError("the subscription ended after \(received) of \(count) records") }
        return latencies
    }

    /// Produces `count` records in batches of `batch`, up to `window` unanswered, each batch
    /// stamped as it is sent. Calls `acknowledged` with each batch's record count. Returns the
    /// seconds taken.
    static func produce(
        _ client: ImmutaClient, topic: String, count: Int, batch: Int, window: Int, size: Int, ack: Ack,
        acknowledged: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Double {
        let padding = padding(size: size)
        let batches = (count + batch - 1) / batch
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<batches {
                if index >= window, let n = try await group.next() { acknowledged(n) }
                let n = min(batch, count - index * batch)
                let records = Self.batch(count: n, size: size, sentAt: monotonicNanoseconds(), padding: padding)
                group.addTask {
                    _ = try await client.produce(topic, framedRecords: records, count: n, ack: ack)
                    return n
                }
            }
            for try await n in group { acknowledged(n) }
        }
        return (ContinuousClock.now - start).seconds
    }
}
