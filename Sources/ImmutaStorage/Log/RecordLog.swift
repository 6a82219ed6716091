import ImmutaLocks
import SystemPackage
import Dispatch
import Synchronization

/// An append-only log of records: a directory of segments with one writer and any number of
/// readers. Topics are record logs, and so are the small logs of committed group offsets.
///
/// ```swift
/// let (log, report) = try RecordLog.open(directory: "data/topics/orders", name: "topic orders")
/// let appended = try log.append([Array("hello".utf8)])
/// try await log.waitUntilDurable(appended)
/// let batch = try log.read(from: appended.firstOffset, maxRecords: 10, maxBytes: 1 << 20)
/// ```
///
/// Appends are serialized by the log. A batch becomes visible to readers only once all of it is
/// written; readers never see part of one.
public final class RecordLog: Sendable {
    /// The directory holding the segments.
    public let directory: String
    /// How errors and reports name this log, for example `topic orders`.
    public let name: String

    struct Writer {
        var active: Segment
        var activeDataSize: UInt64
        var activeCount: UInt64
        var nextOffset: UInt64
        var lastTimestamp: Int64
        var indexScratch: [UInt8] = []
        var dataScratch: [UInt8] = []
        var closed = false
    }

    struct Shared {
        var segments: [SegmentState]
        var nextOffset: UInt64
        var configuration: RecordLogConfiguration
        var closed = false
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiterID: UInt64 = 1
    }

    struct Waiter {
        var beyond: UInt64
        /// Called with the batch that woke it when that batch was small enough to hand on.
        var wake: @Sendable (AppendedBatch?) -> Void
        /// Whether it uses the batch: only then is the batch copied for it.
        var wantsBatch: Bool
    }

    struct SyncState {
        /// Segments closed by a roll under `none` durability and not flushed yet; the next flush
        /// takes them first.
        var sealedUnflushed: [Segment] = []
        var synced: UInt64
        var requested: UInt64
        var running = false
        var intervalArmed = false
        var failure: StorageError?
        /// Monotonic time of the failure or of the last attempt to recover from it.
        var lastRecoveryAttempt: Int64 = 0
        /// Told once everything below `target` is flushed, or with the error that stopped it.
        var waiters: [(target: UInt64, done: @Sendable (StorageError?) -> Void)] = []
    }

    let writer: Locked<Writer>
    let shared: Locked<Shared>
    let syncState: Locked<SyncState>
    let syncQueue: DispatchQueue
    /// Monotonic nanoseconds at which the writer entered its current append, or 0 when idle.
    let writerBusySince = Atomic<Int64>(0)
    /// Told when the log recovers from a failure (see ``onRecovery(_:)``).
    let recoveryHandler = Locked<(@Sendable (String) -> Void)?>(nil)

    private init(directory: String, name: String, configuration: RecordLogConfiguration, segments: [SegmentState]) {
        self.directory = directory
        self.name = name
        let last = segments[segments.count - 1]
        // The newest timestamp in the log, not just in the last segment: that one may be empty (a
        // crash right after a roll, or recovery cut all of it), and appends must not go back in time.
        let lastTimestamp = segments.last { $0.lastTimestamp != nil }?.lastTimestamp ?? 0
        writer = Locked(
            Writer(
                active: last.segment, activeDataSize: last.dataSize, activeCount: last.recordCount,
                nextOffset: last.nextOffset, lastTimestamp: lastTimestamp))
        shared = Locked(Shared(segments: segments, nextOffset: last.nextOffset, configuration: configuration))
        syncState = Locked(SyncState(synced: last.nextOffset, requested: last.nextOffset))
        syncQueue = DispatchQueue(label: "immuta.sync")
    }

    /// Opens the log in `directory`, creating it when `create` is true, and recovers it.
    ///
    /// - Parameters:
    ///   - directory: the directory of segments.
    ///   - name: how errors name the log (`topic orders`).
    ///   - configuration: segment size, record limit, durability and retention.
    ///   - create: create the directory and a first segment when missing.
    ///   - firstOffset: the base offset of the first segment of a new log.
    ///   - policy: how far recovery may repair on its own.
    /// - Returns: the log and what recovery repaired.
    public static func open(
        directory: String,
        name: String,
        configuration: RecordLogConfiguration = RecordLogConfiguration(),
        create: Bool = true,
        firstOffset: UInt64 = 0,
        policy: RecoveryPolicy = .repairTornTail
    ) throws -> (RecordLog, RecoveryReport) {
        try configuration.validate()
        if !FileIO.exists(directory) {
            guard create else {
                throw StorageError.io(operation: "open log", path: directory, errno: Errno.noSuchFileOrDirectory)
            }
            try FileIO.makeDirectory(directory)
            try FileIO.syncDirectory(FileIO.parent(of: directory))
        }
        var (segments, report) = try LogRecovery.load(
            directory: directory, log: name, policy: policy, unflushedRolls: configuration.durability == .none)
        if segments.isEmpty {
            let segment = try Segment(directory: directory, baseOffset: firstOffset, create: true)
            try FileIO.syncDirectory(directory)
            segments = [SegmentState(segment: segment, recordCount: 0, dataSize: 0)]
        }
        let log = RecordLog(directory: directory, name: name, configuration: configuration, segments: segments)
        return (log, report)
    }

    /// The log's current configuration.
    public var configuration: RecordLogConfiguration { shared.withLock { $0.configuration } }

    /// Replaces the configuration (segment size, record limit, durability, retention). Takes effect
    /// with the next append; retention with the next ``enforceRetention(now:)``.
    public func updateConfiguration(_ configuration: RecordLogConfiguration) throws {
        try configuration.validate()
        shared.withLock { $0.configuration = configuration }
    }

    /// The offset the next record will get (cheaper than ``bounds``, which also adds up sizes).
    public var nextOffset: UInt64 { shared.withLock { $0.nextOffset } }

    /// Earliest and next offsets, bytes and segments.
    public var bounds: LogBounds {
        shared.withLock { state in
            LogBounds(
                earliestOffset: state.segments[0].baseOffset, nextOffset: state.nextOffset,
                bytes: state.segments.reduce(0) { $0 + $1.totalBytes }, segments: state.segments.count)
        }
    }

    /// How long the current append has been running, or nil when the writer is idle. A watchdog
    /// uses it to tell a stalled disk from a quiet log.
    public var writerBusyNanoseconds: Int64? {
        let since = writerBusySince.load(ordering: .relaxed)
        return since == 0 ? nil : monotonicNanoseconds() - since
    }

    /// Flushes everything written, closes the files, and wakes every waiting reader. Later calls
    /// on the log throw ``StorageError/closed(log:)``.
    public func close() throws {
        let active = try writer.withLock { (state) -> Segment? in
            guard !state.closed else { return nil }
            state.closed = true
            // Nothing written since the last good flush: nothing to flush (a daemon with 10,000
            // idle topics spent seconds stopping on fdatasyncs of clean files).
            let flushed = syncState.withLock { $0.failure == nil && $0.sealedUnflushed.isEmpty && $0.synced >= state.nextOffset }
            guard !flushed else { return state.active }
            for sealed in syncState.withLock({ $0.sealedUnflushed }) { try sealed.sync() }
            try state.active.sync()
            return state.active
        }
        guard active != nil else { return }
        let woken = shared.withLock { state -> [Waiter] in
            state.closed = true
            let all = Array(state.waiters.values)
            state.waiters.removeAll()
            return all
        }
        woken.forEach { $0.wake(nil) }
        let pending = syncState.withLock { state in
            let waiters = state.waiters
            state.waiters.removeAll()
            return waiters
        }
        for waiter in pending { waiter.done(nil) }
    }
}
