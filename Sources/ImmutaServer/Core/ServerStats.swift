import ImmutaStorage
import Synchronization

/// Counters the daemon reports through STATS and the systemd status line.
public final class ServerStats: Sendable {
    let startedAt = ContinuousClock.now
    let connections = Atomic<Int64>(0)
    let connectionsAccepted = Atomic<Int64>(0)
    let subscriptions = Atomic<Int64>(0)
    let recordsProduced = Atomic<Int64>(0)
    let bytesProduced = Atomic<Int64>(0)
    let recordsDelivered = Atomic<Int64>(0)
    let bytesDelivered = Atomic<Int64>(0)
    /// Bytes handed to the kernel as file regions (sendfile) rather than copied through memory.
    let bytesSentZeroCopy = Atomic<Int64>(0)
    /// Records sent to caught-up subscribers from the batch that woke them, without a file read.
    let recordsDeliveredFromMemory = Atomic<Int64>(0)
    let protocolErrors = Atomic<Int64>(0)
    /// Idempotent batches that were resends of stored ones, answered without appending.
    let duplicateBatches = Atomic<Int64>(0)
    /// Connection handlers alive: open connections, plus any a leak keeps.
    let connectionHandlers = Atomic<Int64>(0)

    init() {}

    /// Records produced since start.
    public var producedRecords: Int64 { recordsProduced.load(ordering: .relaxed) }
    /// Records delivered (fetches and pushes) since start.
    public var deliveredRecords: Int64 { recordsDelivered.load(ordering: .relaxed) }
    /// Open connections.
    public var openConnections: Int64 { connections.load(ordering: .relaxed) }

    func snapshot(topics: Int, longestWriterStallNanoseconds: Int64 = 0) -> [(String, Int64)] {
        let uptime = ContinuousClock.now - startedAt
        return [
            ("uptime_ms", uptime.components.seconds * 1000 + uptime.components.attoseconds / 1_000_000_000_000_000),
            ("topics", Int64(topics)),
            ("connections", connections.load(ordering: .relaxed)),
            ("connections_accepted", connectionsAccepted.load(ordering: .relaxed)),
            ("subscriptions", subscriptions.load(ordering: .relaxed)),
            ("records_produced", recordsProduced.load(ordering: .relaxed)),
            ("bytes_produced", bytesProduced.load(ordering: .relaxed)),
            ("records_delivered", recordsDelivered.load(ordering: .relaxed)),
            ("bytes_delivered", bytesDelivered.load(ordering: .relaxed)),
            ("bytes_sent_zero_copy", bytesSentZeroCopy.load(ordering: .relaxed)),
            ("records_delivered_from_memory", recordsDeliveredFromMemory.load(ordering: .relaxed)),
            ("protocol_errors", protocolErrors.load(ordering: .relaxed)),
            ("duplicate_batches", duplicateBatches.load(ordering: .relaxed)),
            ("connection_handlers", connectionHandlers.load(ordering: .relaxed)),
            ("open_segment_files", Int64(DescriptorCache.shared.openFiles)),
            ("longest_append_ms", longestWriterStallNanoseconds / 1_000_000),
        ]
    }
}
