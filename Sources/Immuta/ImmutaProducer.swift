import ImmutaProtocol
import NIOCore

/// A producer whose batches land once each, in the order they were sent, across lost
/// connections and daemon restarts.
///
/// Every batch carries the producer's id and its next sequence number on that topic
/// (PRODUCE_IDEMPOTENT). When the connection drops, or the daemon could not say whether a batch
/// reached the disk, the producer reconnects and sends the same batch again with the same number:
/// the daemon stores it if it never did, and otherwise answers with the offsets it stored it at.
/// A batch the daemon refused is not stored, and neither is any later batch that was in flight
/// behind it, or waiting for its turn: those fail too, so nothing lands out of order. The next
/// call then takes the failed batch's number.
///
/// ```swift
/// let producer = ImmutaProducer(socketPath: "/run/immuta/immuta.sock")
/// let result = try await producer.produce("orders", [Array("hello".utf8)])
/// ```
///
/// Up to ``maxInFlightPerTopic`` batches per topic may be in flight; more calls wait. The
/// daemon remembers that many batches per producer, on disk, so a resend is answered with
/// offsets also by the daemon that took over after a restart.
///
/// A daemon that answers `shutting_down` is treated like a lost connection: its unanswered
/// batches go to the next daemon. The producer reconnects with the backoff of its
/// ``ReconnectPolicy`` and reports to its `onEvent`; ``ReconnectPolicy/disabled`` makes a lost
/// connection fail the batches in flight instead.
public actor ImmutaProducer {
    /// Batches per topic sent and not yet answered; the daemon remembers this many per producer.
    public static let maxInFlightPerTopic = 16

    /// The producer's id: random unless given.
    public nonisolated let producerID: UInt64
    private let socketPath: String
    private let clientName: String
    private let retryTimeout: Duration
    private let reconnect: ReconnectPolicy
    /// When the connection in use was lost, until a new one is open.
    private var lostAt: ContinuousClock.Instant?
    private var connection: Task<ImmutaClient, any Error>?
    private var streams: [String: SequenceStream] = [:]
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// - Parameters:
    ///   - socketPath: immutad's socket.
    ///   - producerID: the id to produce as (default: random). Reuse an id only for the same
    ///     stream of batches: the daemon takes batch numbers per id and topic.
    ///   - retryTimeout: how long a batch keeps being resent after lost connections or an unknown
    ///     outcome before its call fails (default: the policy's timeout, 30 s).
    ///   - reconnect: the backoff between attempts and who hears of a loss; `disabled` fails
    ///     the batches in flight when the connection is lost.
    public init(
        socketPath: String, producerID: UInt64 = .random(in: 1...UInt64.max),
        clientName: String = ImmutaClient.defaultClientName, retryTimeout: Duration? = nil,
        reconnect: ReconnectPolicy = .standard
    ) {
        self.socketPath = socketPath
        self.producerID = producerID
        self.clientName = clientName
        self.retryTimeout = retryTimeout ?? reconnect.timeout
        self.reconnect = reconnect
    }

    /// The connection in use, opened when there is none.
    public func client() async throws -> ImmutaClient {
        // One connection at a time, shared by every call (they wait for the same connect), so
        // batches leave in the order they were numbered.
        // The producer resends batches itself (each under its own number), so its connections do
        // not reconnect on their own.
        // A daemon that takes the connection and never answers HELLO (the socket unit holds the
        // socket while no daemon runs) is given up on within the retry timeout.
        let (socketPath, clientName, deadline) = (socketPath, clientName, ContinuousClock.now + retryTimeout)
        let connecting =
            connection
            ?? Task {
                try await ImmutaClient.connect(
                    socketPath: socketPath, clientName: clientName, reconnect: .disabled, helloDeadline: deadline)
            }
        connection = connecting
        do {
            let client = try await connecting.value
            if let lost = lostAt, connection == connecting {
                lostAt = nil
                reconnect.onEvent?(.resumed(after: .now - lost, offset: nil))
            }
            return client
        } catch {
            if connection == connecting { connection = nil }
            throw error
        }
    }

    /// Closes the connection.
    public func close() async {
        await dropConnection(ifStill: nil, because: nil)
    }

    /// Produces a batch of payloads; see ``produce(_:framedRecords:count:ack:)``.
    @discardableResult
    public func produce<Payload: Collection<UInt8>>(_ topic: String, _ payloads: [Payload], ack: Ack = .fsync) async throws
        -> ProduceResult
    {
        var records = ByteBufferAllocator().buffer(capacity: payloads.reduce(0) { $0 + 8 + $1.count })
        for payload in payloads {
            records.writeInteger(UInt64(payload.count), endianness: .little)
            records.writeBytes(payload)
        }
        return try await produce(topic, framedRecords: records, count: payloads.count, ack: ack)
    }

    /// Produces a batch in the record format (8-byte little-endian size, then payload). Returns
    /// where it was stored, also when that was by an earlier attempt.
    @discardableResult
    public func produce(_ topic: String, framedRecords: ByteBuffer, count: Int, ack: Ack = .fsync) async throws -> ProduceResult {
        // A call that waits for room while an earlier batch fails is not sent: numbered after the
        // failure it would be stored behind the gap, out of order with what its caller sent first.
        let failuresBefore = streams[topic]?.failures ?? 0
        while !(streams[topic] ?? SequenceStream()).canIssue(limit: Self.maxInFlightPerTopic) {
            await waitForProgress(on: topic)
        }
        if let failures = streams[topic]?.failures, failures != failuresBefore {
            throw ImmutaError(
                code: .sequenceGap,
                message: "a batch to \(topic) was not sent: an earlier batch of producer \(producerID) failed while it "
                    + "waited to be sent, and nothing after that one was stored")
        }
        let sequence = streams[topic, default: SequenceStream()].issue()
        do {
            let result = try await deliver(topic, framedRecords, count: count, ack: ack, sequence: sequence)
            settle(topic, sequence, stored: true)
            return result
        } catch {
            let code = (error as? ImmutaError)?.code
            settle(topic, sequence, stored: code == .duplicateSequence, restart: code == .unknownProducer)
            throw error
        }
    }

    /// Sends one batch until it is answered for good.
    private func deliver(_ topic: String, _ records: ByteBuffer, count: Int, ack: Ack, sequence: UInt64) async throws -> ProduceResult {
        let deadline = ContinuousClock.now + retryTimeout
        var backoff = ReconnectBackoff(reconnect)
        var used: ImmutaClient?
        while true {
            if streams[topic]?.failedAt.map({ $0 < sequence }) == true {
                throw ImmutaError(
                    code: .sequenceGap,
                    message: "batch \(sequence) of producer \(producerID) was not sent: an earlier batch to \(topic) failed")
            }
            do {
                let client = try await client()
                used = client
                return try await client.produce(
                    topic, framedRecords: records, count: count, ack: ack, producer: producerID, sequence: sequence
                ).result
            } catch let error as ImmutaError {
                switch RetryDecision(error, sequence: sequence, stream: streams[topic]) {
                case .fail: throw error
                case .afterEarlierBatches:
                    await waitForProgress(on: topic)
                    continue
                case .resend:
                    if error.needsReconnect {
                        guard reconnect.isEnabled else { throw error }
                        await dropConnection(ifStill: used, because: error)
                    }
                    guard ContinuousClock.now < deadline else {
                        guard error.needsReconnect else { throw error }
                        throw ImmutaError.connectionClosed(
                            "could not reconnect to immutad at \(socketPath) within \(retryTimeout.secondsText) to resend batch "
                                + "\(sequence) of producer \(producerID): \(error.message)")
                    }
                    // The last attempt is made at the deadline, so a daemon back just in time is found.
                    try await Task.sleep(for: min(backoff.pause(), deadline - .now))  // a back-off, not a wait for readiness
                }
            }
        }
    }

    /// Forgets the connection a batch lost (`lost`; nil: whatever is open), unless another batch
    /// has already replaced it. The first batch to notice a loss reports it.
    private func dropConnection(ifStill lost: ImmutaClient?, because error: ImmutaError?) async {
        guard let current = connection else { return }
        let client = try? await current.value
        guard connection == current, lost == nil || client === lost else { return }
        connection = nil
        if let error, lostAt == nil {
            lostAt = .now
            reconnect.onEvent?(.lost(reason: error.message))
        }
        await client?.close()
    }

    private func settle(_ topic: String, _ sequence: UInt64, stored: Bool, restart: Bool = false) {
        streams[topic]?.settle(sequence, stored: stored, restart: restart)
        for waiter in waiters.removeValue(forKey: topic) ?? [] { waiter.resume() }
    }

    private func waitForProgress(on topic: String) async {
        await withCheckedContinuation { waiters[topic, default: []].append($0) }
    }

    /// Batches to `topic` sent and not yet answered, and calls waiting for their turn (for tests).
    func queue(on topic: String) -> (sent: Int, waiting: Int) {
        (streams[topic]?.outstanding.count ?? 0, waiters[topic]?.count ?? 0)
    }
}

/// What to do after a batch got an error.
enum RetryDecision {
    case resend, afterEarlierBatches, fail

    init(_ error: ImmutaError, sequence: UInt64, stream: SequenceStream?) {
        if error.isConnectionLost || error.code == .notDurable || error.code == .topicRecovering || error.code == .shuttingDown {
            // The batch may or may not be stored: the same batch with the same number finds out.
            self = .resend
        } else if error.code == .sequenceGap || error.code == .unknownProducer, stream?.hasOutstanding(below: sequence) == true {
            // An earlier batch arrives after this one (it was resent on a new connection).
            self = .afterEarlierBatches
        } else {
            self = .fail
        }
    }
}

/// One topic's batch numbers: the next to issue, those in flight, and the first that failed.
struct SequenceStream {
    private(set) var nextSequence: UInt64 = 0
    private(set) var outstanding: Set<UInt64> = []
    /// The lowest batch refused since the last rewind: nothing from it on was stored.
    private(set) var failedAt: UInt64?
    /// Batches refused so far, so that a call can tell whether one failed while it waited.
    private(set) var failures: UInt64 = 0

    /// Whether a new batch may be numbered now: there is room, and after a failure every batch
    /// in flight behind it has been answered (so the numbers can go back to the failed one).
    func canIssue(limit: Int) -> Bool {
        outstanding.count < limit && (failedAt == nil || outstanding.isEmpty)
    }

    mutating func issue() -> UInt64 {
        if let failedAt {
            nextSequence = failedAt
            self.failedAt = nil
        }
        let sequence = nextSequence
        nextSequence += 1
        outstanding.insert(sequence)
        return sequence
    }

    /// - Parameter restart: the daemon does not know the producer on this topic: numbering starts
    ///   again from 0 once the batches in flight are answered.
    mutating func settle(_ sequence: UInt64, stored: Bool, restart: Bool = false) {
        outstanding.remove(sequence)
        if restart {
            failedAt = 0
            failures += 1
        } else if !stored {
            failedAt = min(failedAt ?? sequence, sequence)
            failures += 1
        }
    }

    func hasOutstanding(below sequence: UInt64) -> Bool {
        outstanding.contains { $0 < sequence }
    }
}
