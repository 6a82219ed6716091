import Immuta
import ImmutaTestSupport

/// The disk-full scenario's producer: batches of ~24 KiB with `ack: .fsync`, each noted in the
/// ledger before it is sent; it remembers where the next acknowledged batch must start.
struct DiskFiller {
    let client: ImmutaClient
    let ledger: TopicLedger
    var random: SeededGenerator
    var sequence = 0
    /// One past the last acknowledged offset.
    var expectedNext: UInt64 = 0

    init(client: ImmutaClient, ledger: TopicLedger, random: SeededGenerator) {
        self.client = client
        self.ledger = ledger
        self.random = random
    }

    /// Produces one batch; returns its first offset, or the error.
    mutating func produceOnce() async throws -> Result<UInt64, ImmutaError> {
        sequence += 1
        let id = "full.\(sequence)"
        let payloads = Payloads.batch(id: id, count: Int.random(in: 2...6, using: &random), using: &random, sizes: 3000...6000)
        ledger.sending(id, payloads)
        do {
            let (client, topic) = (self.client, ledger.topic)
            let result = try await withDeadline(.seconds(30), "a produce to the full disk") {
                try await client.produce(topic, payloads, ack: .fsync)
            }
            if let problem = ledger.acknowledged(id, firstOffset: result.firstOffset, count: result.count) { throw CheckerError(problem) }
            expectedNext = result.firstOffset + UInt64(result.count)
            return .success(result.firstOffset)
        } catch let error as ImmutaError {
            return .failure(error)
        }
    }

    /// Produces until a batch is refused; returns that refusal.
    mutating func fillUntilRefused(limit: Duration) async throws -> ImmutaError {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let before = expectedNext
            if case .failure(let error) = try await produceOnce() {
                expectedNext = before
                return error
            }
        }
        throw CheckerError("the 4 MiB disk did not fill within \(limit)")
    }
}
