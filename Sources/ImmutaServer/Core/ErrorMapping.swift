import ImmutaProtocol
import ImmutaStorage

extension ProtocolError {
    /// The protocol error a storage error becomes on the wire.
    ///
    /// - Parameter shuttingDown: the daemon is closing its topics to exit. A topic closed under a
    ///   request then answers `shutting_down`, not `topic_not_found`: a client must not take a
    ///   restart for the topic's deletion, and retries on the next daemon instead.
    static func from(_ error: any Error, shuttingDown: Bool = false) -> ProtocolError {
        if let error = error as? ProtocolError { return error }
        guard let storage = error as? StorageError else {
            return ProtocolError(.internalError, "internal error: \(error)")
        }
        let code: ErrorCode
        switch storage {
        case .invalidName: code = .invalidName
        case .recordTooLarge: code = .recordTooLarge
        case .malformedRecords, .emptyBatch, .invalidConfiguration: code = .invalidRequest
        case .offsetBelowEarliest, .offsetBeyondEnd: code = .offsetOutOfRange
        case .checksumMismatch, .unrecoverable: code = .corruptData
        case .io: code = .storageFailure
        case .failed: code = .topicRecovering
        case .closed where shuttingDown:
            return ProtocolError(.shuttingDown, "immutad is shutting down: \(storage.description)")
        case .closed: code = .topicNotFound
        case .topicExists: code = .topicExists
        case .topicNotFound: code = .topicNotFound
        case .sequenceGap: code = .sequenceGap
        case .sequenceForgotten, .sequenceReused: code = .duplicateSequence
        case .tooManyProducers: code = .tooManyProducers
        case .unknownProducer: code = .unknownProducer
        }
        return ProtocolError(code, storage.description)
    }
}
