import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

extension RequestExecutor {
    /// PRODUCE: appends the batch as it came off the wire.
    mutating func produce(
        topic name: String, ack: WireAck, count: UInt32, records: ByteBuffer, requestID: UInt32
    ) throws -> LoopAction {
        let topic = try broker.store.topic(name)
        guard count > 0 else { throw ProtocolError(.invalidRequest, "a PRODUCE batch must hold at least one record") }
        if ack == .fsync { try park() }
        let result = try reportingFailure(of: topic) {
            try records.withUnsafeReadableBytes { try topic.log.append(framed: $0, expectedCount: Int(count)) }
        }
        countProduced(result, bytes: records.readableBytes)
        let response = Response.produced(firstOffset: result.firstOffset, count: UInt32(result.count), timestamp: result.timestamp)
        switch ack {
        case .write: return { $0.send(response, requestID: requestID) }
        case .fsync: return { $0.answerWhenDurable(response, requestID: requestID) { topic.log.whenDurable(upTo: result.nextOffset, $0) } }
        }
    }

    /// PRODUCE_IDEMPOTENT: appends the batch unless it is a resend of one already stored, and only
    /// if it follows the producer's last stored batch.
    mutating func produce(
        topic name: String, ack: WireAck, producer: UInt64, sequence: UInt64, count: UInt32, records: ByteBuffer,
        requestID: UInt32
    ) throws -> LoopAction {
        let topic = try broker.store.topic(name)
        guard count > 0 else { throw ProtocolError(.invalidRequest, "a PRODUCE_IDEMPOTENT batch must hold at least one record") }
        if ack == .fsync { try park() }
        let limits = limits.producers
        let appended = try reportingFailure(of: topic) {
            try records.withUnsafeReadableBytes {
                try topic.appendIdempotent(
                    framed: $0, expectedCount: Int(count), producer: producer, sequence: sequence, limits: limits)
            }
        }
        let result = appended.result
        if appended.duplicate {
            broker.stats.duplicateBatches.wrappingAdd(1, ordering: .relaxed)
        } else {
            countProduced(result, bytes: records.readableBytes)
        }
        let response = Response.producedIdempotent(
            firstOffset: result.firstOffset, count: UInt32(result.count), timestamp: result.timestamp, duplicate: appended.duplicate)
        switch ack {
        case .write: return { $0.send(response, requestID: requestID) }
        case .fsync: return { $0.answerWhenDurable(response, requestID: requestID) { topic.whenDurable(appended, $0) } }
        }
    }

    private func countProduced(_ result: AppendResult, bytes: Int) {
        broker.stats.recordsProduced.wrappingAdd(Int64(result.count), ordering: .relaxed)
        broker.stats.bytesProduced.wrappingAdd(Int64(bytes), ordering: .relaxed)
    }

    /// Runs an append, logging a failure of the disk (not of the request) once per topic and
    /// error, so a full disk or a failed log shows in the journal and not only in client errors.
    private func reportingFailure<T>(of topic: Topic, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StorageError {
            switch error {
            case .io, .failed: broker.appendFailures.report(topic: topic.name, error: error, logger: broker.logger)
            default: break
            }
            throw error
        }
    }
}
