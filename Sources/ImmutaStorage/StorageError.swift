import SystemPackage

/// Errors raised by the storage engine. Each message names the object involved and, where it
/// helps, what to do about it.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A topic or group name outside the allowed set.
    case invalidName(String, reason: String)
    /// A record larger than the log's configured maximum.
    case recordTooLarge(size: UInt64, limit: UInt64)
    /// Bytes that claim to be seed-format records but are not.
    case malformedRecords(reason: String)
    /// A batch with no records.
    case emptyBatch
    /// A read below the earliest retained offset.
    case offsetBelowEarliest(offset: UInt64, earliest: UInt64)
    /// A read past the next offset to be written.
    case offsetBeyondEnd(offset: UInt64, next: UInt64)
    /// A record whose bytes do not match its checksum.
    case checksumMismatch(log: String, offset: UInt64, file: String)
    /// On-disk damage that recovery will not repair on its own.
    case unrecoverable(log: String, file: String, position: UInt64, reason: String)
    /// A system call failed.
    case io(operation: String, path: String, errno: Errno)
    /// The log was closed.
    case closed(log: String)
    /// The log refuses writes after a failed fdatasync, whose outcome on disk is unknown.
    case failed(log: String, reason: String)
    /// A topic that already exists.
    case topicExists(String)
    /// A topic that does not exist.
    case topicNotFound(String)
    /// A configuration value outside its allowed range.
    case invalidConfiguration(String)
    /// An idempotent producer's batch that does not follow its last stored one.
    case sequenceGap(topic: String, producer: UInt64, expected: UInt64, received: UInt64)
    /// A resend of a batch stored so long ago that its offsets are no longer remembered.
    case sequenceForgotten(topic: String, producer: UInt64, sequence: UInt64, oldestRemembered: UInt64)
    /// A sequence number a producer already used for a batch with other contents.
    case sequenceReused(topic: String, producer: UInt64, sequence: UInt64)
    /// A batch other than number 0 from a producer the topic does not remember.
    case unknownProducer(topic: String, producer: UInt64, sequence: UInt64)
    /// The topic remembers as many idempotent producers as it may.
    case tooManyProducers(topic: String, limit: Int)

    public var description: String {
        switch self {
        case .invalidName(let name, let reason):
            return "invalid name \(String(reflecting: name)): \(reason)"
        case .recordTooLarge(let size, let limit):
            return "record of \(size) bytes exceeds the maximum record size of \(limit) bytes"
        case .malformedRecords(let reason):
            return "malformed records: \(reason)"
        case .emptyBatch:
            return "a batch must contain at least one record"
        case .offsetBelowEarliest(let offset, let earliest):
            return "offset \(offset) is below the earliest retained offset \(earliest)"
        case .offsetBeyondEnd(let offset, let next):
            return "offset \(offset) is beyond the end of the log (the next offset is \(next))"
        case .checksumMismatch(let log, let offset, let file):
            return "checksum mismatch in \(log) at offset \(offset) (file \(file)); run `immutactl verify` on the data directory"
        case .unrecoverable(let log, let file, let position, let reason):
            return "\(log) cannot be recovered automatically: \(reason) in \(file) at byte \(position); inspect it with `immutactl verify`, back the directory up, and repair it with `immutactl repair`"
        case .io(let operation, let path, let errno):
            return "\(operation) \(path) failed: \(errno.description) (errno \(errno.rawValue))"
        case .closed(let log):
            return "\(log) is closed"
        case .failed(let log, let reason):
            return "\(log) refuses writes after an earlier failure (\(reason)); it tries to recover at the next write, at most once a second, and on restart"
        case .topicExists(let name):
            return "topic \(String(reflecting: name)) already exists"
        case .topicNotFound(let name):
            return "topic \(String(reflecting: name)) does not exist"
        case .invalidConfiguration(let reason):
            return "invalid configuration: \(reason)"
        case .sequenceGap(let topic, let producer, let expected, let received):
            return "producer \(producer) sent batch \(received) to topic \(String(reflecting: topic)), but the next batch must be \(expected): batches \(expected)..\(received &- 1) were not stored (an earlier batch failed); send them again first"
        case .sequenceForgotten(let topic, let producer, let sequence, let oldest):
            return "batch \(sequence) of producer \(producer) was stored in topic \(String(reflecting: topic)) earlier, but its offsets are no longer remembered (the oldest remembered batch is \(oldest)); it was not stored again"
        case .sequenceReused(let topic, let producer, let sequence):
            return "producer \(producer) already stored batch \(sequence) in topic \(String(reflecting: topic)) with other contents; a resend must carry the same records"
        case .unknownProducer(let topic, let producer, let sequence):
            return "topic \(String(reflecting: topic)) does not know producer \(producer) (its first batch failed, or it was forgotten after producer_expiry or a crash that lost its batches), so batch \(sequence) was not stored; start again from batch 0"
        case .tooManyProducers(let topic, let limit):
            return "topic \(String(reflecting: topic)) already remembers \(limit) idempotent producers (max_producers_per_topic) and none has been idle past producer_expiry"
        }
    }
}

extension StorageError {
    /// The error as a ``StorageError``: itself when it is one, else an I/O error describing it.
    package static func wrap(_ error: any Error, operation: String = "storage operation", path: String = "") -> StorageError {
        if let storage = error as? StorageError { return storage }
        return .io(operation: operation, path: path, errno: (error as? Errno) ?? .ioError)
    }
}
