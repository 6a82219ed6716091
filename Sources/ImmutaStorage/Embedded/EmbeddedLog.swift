import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One record log in a directory of its own, owned by the program that embeds it: the engine
/// immutad runs, without the daemon. One writer, any number of readers, in one process.
///
/// ```swift
/// let events = try EmbeddedLog.open(directory: "/var/lib/myapp/events")
/// try await events.append(record: Array("hello".utf8))
/// for try await record in try events.subscribe(from: .earliest) {
///     print(record.offset, record.string)
/// }
/// try events.close()
/// ```
///
/// A directory has one owner at a time: opening takes the lock immutad takes on its data
/// directory (`immutad.lock`, see ``DataDirectoryLock``), so a second opener, in this process or
/// another, gets a ``DataDirectoryLockError`` until the first closes. See docs/EMBEDDING.md.
public final class EmbeddedLog: Sendable {
    /// The log's directory.
    public let directory: String
    /// The engine underneath, for what this type does not wrap (reads by batch, timestamps, the
    /// sync `append`).
    public let log: RecordLog
    /// What recovery repaired when the log was opened (a torn tail after a crash, for instance).
    public let recovery: RecoveryReport
    private let lock: DataDirectoryLock
    private let closed = Atomic<Bool>(false)

    private init(directory: String, log: RecordLog, recovery: RecoveryReport, lock: DataDirectoryLock) {
        self.directory = directory
        self.log = log
        self.recovery = recovery
        self.lock = lock
    }

    /// Opens the log in `directory`, creating the directory when missing, and recovers it.
    ///
    /// - Parameters:
    ///   - configuration: segment size, record limit, durability and retention; not stored, so
    ///     pass the same one at every open (the default: 64 MiB segments, `fsync`, no retention).
    ///   - recoveryPolicy: `.repairTornTail` cuts off a batch a crash tore; `.truncateAtFirstDamage`
    ///     also cuts the log back to its first damaged record, whatever follows (a repair, after
    ///     ``LogVerifier/verify(directory:)`` showed the damage).
    /// - Throws: ``DataDirectoryLockError`` when another owner holds the directory;
    ///   ``StorageError`` for an invalid configuration or damage recovery will not repair alone.
    public static func open(
        directory: String, configuration: RecordLogConfiguration = RecordLogConfiguration(),
        recoveryPolicy: RecoveryPolicy = .repairTornTail
    ) throws -> EmbeddedLog {
        try configuration.validate()
        let lock = try lockDirectory(directory)
        do {
            let (log, report) = try RecordLog.open(
                directory: directory, name: "log \(directory)", configuration: configuration, policy: recoveryPolicy)
            return EmbeddedLog(directory: directory, log: log, recovery: report, lock: lock)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Takes the directory's lock, with a refusal that says who holds it and what to do.
    private static func lockDirectory(_ directory: String) throws -> DataDirectoryLock {
        do {
            return try DataDirectoryLock(dataDirectory: directory, mode: .owner)
        } catch let error as DataDirectoryLockError where error.isHeld {
            let here = error.holderPID == String(getpid())
            throw DataDirectoryLockError(
                path: error.path, isHeld: true, holderPID: error.holderPID,
                reason: "\(directory) is already open \(here ? "in this process" : "in another process"); a directory has "
                    + "one owner at a time (an EmbeddedLog, immutad, or an offline immutactl command): close or stop "
                    + "that owner first, or have it serve the records")
        }
    }

    /// Appends one record and, when the log's durability is `fsync`, waits until it is on disk.
    @discardableResult
    public func append(record payload: some Collection<UInt8>) async throws -> AppendResult {
        try await append([Array(payload)])
    }

    /// Appends a batch atomically (readers see all of it or none) and, when the log's durability is
    /// `fsync`, waits until it is on disk; with `none` or `interval:MS` it returns once the batch is
    /// written (call ``waitUntilDurable(_:)`` for one batch you must not lose).
    @discardableResult
    public func append(_ payloads: [[UInt8]]) async throws -> AppendResult {
        let result = try log.append(payloads)
        if log.configuration.durability == .fsync { try await log.waitUntilDurable(result) }
        return result
    }

    /// Waits until `result`'s batch is on disk, whatever the durability.
    public func waitUntilDurable(_ result: AppendResult) async throws {
        try await log.waitUntilDurable(result)
    }

    /// A stream of records from `start` on that waits for new ones (see ``LogSubscription``).
    /// The stream keeps this log open while it lives.
    ///
    /// - Throws: ``LogSubscriptionError`` naming the valid range for an offset outside the log.
    public func subscribe(
        from start: StartPosition = .latest, batchRecords: Int = 1000, batchBytes: Int = 1 << 20
    ) throws -> LogSubscription {
        try log.subscribe(from: start, batchRecords: batchRecords, batchBytes: batchBytes, owner: self)
    }

    /// Earliest and next offsets, bytes and segments.
    public var bounds: LogBounds { log.bounds }

    /// Deletes the oldest segments beyond the configured retention. Nothing runs it for you: call
    /// it from a timer, as immutad does every `retention_check_interval`.
    ///
    /// - Returns: the data files deleted.
    @discardableResult
    public func enforceRetention() throws -> [String] {
        try log.enforceRetention()
    }

    /// Flushes and closes the log, ends its streams, and releases the directory for the next
    /// owner. Later calls do nothing. Dropping the last reference (streams hold one) closes it too.
    public func close() throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        defer { lock.release() }
        try log.close()
    }

    deinit {
        try? close()
    }
}
