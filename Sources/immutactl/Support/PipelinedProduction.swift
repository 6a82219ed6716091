import Immuta
import NIOCore

/// Batches sent through an idempotent producer a few at a time, for `produce` and `import`:
/// ordered and idempotent, so a batch resent after a lost connection is not stored twice, and
/// once one batch fails none sent behind it is stored (what landed is a prefix of the input).
/// Each acknowledged batch is handed to `settled` in order.
struct PipelinedProduction {
    let topic: String
    let ack: Ack
    let depth: Int
    private let producer: ImmutaProducer
    private let executor = SerialTaskExecutor()
    private var inFlight: [Task<ProduceResult, any Error>] = []
    /// The first failure; nothing is sent after it.
    private(set) var failure: (any Error)?
    /// Set by a batch that failed for good, as soon as it does, while the caller may be reading
    /// its input: what it read then must not be sent, as it would land after the gap.
    let failed = FailureFlag()

    init(topic: String, ack: Ack, depth: Int, connection: ConnectionOptions, clientName: String, reconnect: ReconnectPolicy) {
        self.topic = topic
        self.ack = ack
        self.depth = depth
        producer = ImmutaProducer(socketPath: connection.socketPath, clientName: clientName, reconnect: reconnect)
    }

    /// Sends a batch once fewer than `depth` are unanswered; false once a batch has failed.
    mutating func send(_ records: ByteBuffer, count: Int, settled: (ProduceResult) -> Void) async -> Bool {
        if inFlight.count >= depth { await settle(inFlight.removeFirst(), settled) }
        guard failure == nil, !failed.isSet else { return false }
        let (producer, topic, ack, failed) = (producer, topic, ack, failed)
        inFlight.append(
            Task(executorPreference: executor) {
                do {
                    return try await producer.produce(topic, framedRecords: records, count: count, ack: ack)
                } catch {
                    failed.set()
                    throw error
                }
            })
        return true
    }

    /// Records a failure of the caller's own (reading the input), so that `finish` reports it.
    mutating func fail(_ error: any Error) {
        failure = failure ?? error
    }

    /// Waits for every batch sent and closes the connection.
    mutating func finish(settled: (ProduceResult) -> Void) async {
        for task in inFlight { await settle(task, settled) }
        inFlight.removeAll()
        await producer.close()
    }

    private mutating func settle(_ task: Task<ProduceResult, any Error>, _ settled: (ProduceResult) -> Void) async {
        do { settled(try await task.value) } catch { failure = failure ?? error }
    }
}
