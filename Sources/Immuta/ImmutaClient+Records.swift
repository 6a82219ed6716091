import ImmutaProtocol
import NIOCore

extension ImmutaClient {
    /// Produces a batch atomically: all records get consecutive offsets and become visible
    /// together, or none does.
    ///
    /// ```swift
    /// let result = try await client.produce("orders", [Array("a".utf8), Array("b".utf8)], ack: .fsync)
    /// print(result.firstOffset, result.lastOffset)
    /// ```
    @discardableResult
    public func produce<Payload: Collection<UInt8>>(
        _ topic: String, _ payloads: [Payload], ack: Ack = .fsync
    ) async throws -> ProduceResult {
        guard !payloads.isEmpty else {
            throw ImmutaError(code: .invalidRequest, message: "a batch must hold at least one record")
        }
        var records = ByteBufferAllocator().buffer(capacity: payloads.reduce(0) { $0 + 8 + $1.count })
        for payload in payloads {
            records.writeInteger(UInt64(payload.count), endianness: .little)
            records.writeBytes(payload)
        }
        return try await produce(topic, framedRecords: records, count: payloads.count, ack: ack)
    }

    /// Produces one record.
    @discardableResult
    public func produce(_ topic: String, record: some Collection<UInt8>, ack: Ack = .fsync) async throws -> ProduceResult {
        try await produce(topic, [Array(record)], ack: ack)
    }

    /// Produces a batch already in the record format (8-byte little-endian size, then payload,
    /// back to back), without re-encoding it.
    @discardableResult
    public func produce(_ topic: String, framedRecords: ByteBuffer, count: Int, ack: Ack = .fsync) async throws
        -> ProduceResult
    {
        let response = try await send(.produce(topic: topic, ack: ack.wire, count: UInt32(count), records: framedRecords))
        guard case .produced(let first, let count, let timestamp) = response else { throw unexpected("PRODUCE") }
        return ProduceResult(firstOffset: first, count: Int(count), timestamp: timestamp)
    }

    /// Fetches records from a position.
    ///
    /// - Parameters:
    ///   - maxRecords: at most this many records.
    ///   - maxBytes: about this many bytes (at least one record comes back when any exists).
    ///   - wait: when nothing is there yet, wait this long for a record to arrive.
    public func fetch(
        _ topic: String, from start: StartPosition, maxRecords: Int = 1000, maxBytes: Int = 1 << 20,
        wait: Duration? = nil
    ) async throws -> FetchResult {
        let waitMs = wait.map { UInt32(clamping: $0.wholeMilliseconds) } ?? 0
        let response = try await send(
            .fetch(
                topic: topic, start: start.wire, maxRecords: UInt32(clamping: maxRecords), maxBytes: UInt32(clamping: maxBytes),
                waitMilliseconds: waitMs))
        guard case .records(let header, let index, let data) = response else { throw unexpected("FETCH") }
        let records: [ImmutaRecord]
        do {
            records = try header.records(index: index, data: data).map(ImmutaRecord.init)
        } catch let error as ProtocolError {
            throw ImmutaError(error)
        }
        return FetchResult(records: records, nextOffset: header.firstOffset + UInt64(header.count), logEndOffset: header.logEndOffset)
    }

    /// Subscribes to a topic: the daemon pushes records as they commit, within the credit the
    /// returned sequence grants and renews as you consume. Across a lost connection or a daemon
    /// restart it resumes where it was (see ``ImmutaSubscription``).
    ///
    /// ```swift
    /// for try await record in try await client.subscribe("orders", from: .latest) {
    ///     handle(record)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - creditRecords: records the daemon may send ahead of your consumption.
    ///   - creditBytes: bytes the daemon may send ahead of your consumption.
    public func subscribe(
        _ topic: String, from start: StartPosition = .latest, creditRecords: Int = 65_536, creditBytes: Int = 16 << 20
    ) async throws -> ImmutaSubscription {
        let (records, bytes) = (UInt32(clamping: creditRecords), UInt64(creditBytes))
        let (connection, id, stream, startOffset) = try await repeatingOnLoss { connection in
            let id = makeRequestID()
            let (stream, startOffset) = try await SubscriptionState.subscribe(
                on: connection, id: id, topic: topic, from: start, creditRecords: records, creditBytes: bytes)
            return (connection, id, stream, startOffset)
        }
        let state = SubscriptionState(
            topic: topic, creditRecords: records, creditBytes: bytes, leg: .init(connection: connection, id: id))
        return ImmutaSubscription(client: self, state: state, firstBatches: stream, startOffset: startOffset)
    }
}

extension ImmutaClient {
    /// Produces a batch as batch `sequence` of idempotent producer `producer` (PRODUCE_IDEMPOTENT).
    /// A resend of a batch the daemon stored already is answered with its original offsets and
    /// `duplicate` set. ``ImmutaProducer`` numbers batches and resends them for you.
    public func produce(
        _ topic: String, framedRecords: ByteBuffer, count: Int, ack: Ack = .fsync, producer: UInt64, sequence: UInt64
    ) async throws -> (result: ProduceResult, duplicate: Bool) {
        let response = try await send(
            .produceIdempotent(
                topic: topic, ack: ack.wire, producer: producer, sequence: sequence, count: UInt32(count), records: framedRecords))
        guard case .producedIdempotent(let first, let count, let timestamp, let duplicate) = response else {
            throw unexpected("PRODUCE_IDEMPOTENT")
        }
        return (ProduceResult(firstOffset: first, count: Int(count), timestamp: timestamp), duplicate)
    }
}
