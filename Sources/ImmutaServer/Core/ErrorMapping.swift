import ImmutaProtocol
import ImmutaStorage

extension ProtocolError {
    /// The protocol error a storage error becomes on the wire.
    static func from(_ error: any Error) -> ProtocolError {
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
