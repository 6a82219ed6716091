/// How many idempotent producers a topic remembers, and for how long.
public struct ProducerLimits: Sendable, Hashable {
    /// Producers remembered per topic; a new one beyond this is refused unless an idle one expired.
    public var maxProducers: Int
    /// A producer that stored nothing for this long is forgotten (nanoseconds).
    public var idleExpiryNanoseconds: Int64

    public init(maxProducers: Int = 1024, idleExpiryNanoseconds: Int64 = 24 * 3600 * 1_000_000_000) {
        self.maxProducers = maxProducers
        self.idleExpiryNanoseconds = idleExpiryNanoseconds
    }
}

/// What a topic remembers of its idempotent producers: per producer, its last
/// ``ProducerTable/rememberedBatches`` batches. Like Kafka's producer state (five batches per
/// producer) and NATS's duplicate window, it is bounded: in producers (``ProducerLimits``), in
/// batches per producer, and in age.
struct ProducerTable: Sendable {
    /// Batches per producer whose offsets are kept, so a resend of any of them is answered with its
    /// original offsets. A client keeps at most this many batches in flight per topic.
    static let rememberedBatches = 16

    /// What to do with a batch, given what is remembered.
    enum Verdict: Equatable {
        /// New: store it.
        case store
        /// A resend of a remembered batch.
        case duplicate(ProducerEntry)
        /// A resend of a batch stored so long ago that its offsets are forgotten.
        case forgotten(oldestRemembered: UInt64)
        /// Batches are missing between the last stored one and this one.
        case gap(expected: UInt64)
        /// A producer with nothing remembered whose batch is not its first (number 0): it is new
        /// and its first batch failed, or it was forgotten (idle past the expiry, or its batches
        /// were lost with a torn tail).
        case unknownProducer
    }

    private(set) var producers: [UInt64: [ProducerEntry]] = [:]

    var count: Int { producers.count }

    func verdict(producer: UInt64, sequence: UInt64) -> Verdict {
        guard let batches = producers[producer], let last = batches.last else { return sequence == 0 ? .store : .unknownProducer }
        if sequence > last.sequence {
            let (expected, overflow) = last.sequence.addingReportingOverflow(1)
            return sequence == expected && !overflow ? .store : .gap(expected: expected)
        }
        if let entry = batches.first(where: { $0.sequence == sequence }) { return .duplicate(entry) }
        return .forgotten(oldestRemembered: batches[0].sequence)
    }

    /// Remembers a stored batch. Entries at or after its sequence are dropped first: they were
    /// written for batches whose records never landed (see ``forget(_:)``).
    mutating func record(_ entry: ProducerEntry) {
        var batches = producers[entry.producerID] ?? []
        batches.removeAll { $0.sequence >= entry.sequence }
        batches.append(entry)
        if batches.count > Self.rememberedBatches { batches.removeFirst(batches.count - Self.rememberedBatches) }
        producers[entry.producerID] = batches
    }

    /// Forgets one remembered batch: its records are not in the log (its append failed after the
    /// entry was written, and the offsets went to other records).
    mutating func forget(_ entry: ProducerEntry) {
        producers[entry.producerID]?.removeAll { $0 == entry }
        if producers[entry.producerID]?.isEmpty == true { producers[entry.producerID] = nil }
    }

    /// Makes room for `producer` if it is new: forgets producers idle since before `now` minus the
    /// expiry, and refuses when the table is still full.
    mutating func admit(producer: UInt64, now: Int64, limits: ProducerLimits, topic: String) throws {
        guard producers[producer] == nil, producers.count >= limits.maxProducers else { return }
        expire(now: now, limits: limits)
        guard producers.count < limits.maxProducers else {
            throw StorageError.tooManyProducers(topic: topic, limit: limits.maxProducers)
        }
    }

    /// Forgets every producer whose last batch is older than the expiry.
    mutating func expire(now: Int64, limits: ProducerLimits) {
        let cutoff = now.subtractingSaturating(limits.idleExpiryNanoseconds)
        producers = producers.filter { ($0.value.last?.timestamp ?? .min) >= cutoff }
    }

    /// Every remembered entry, oldest first per producer (what a checkpoint writes).
    var entries: [ProducerEntry] {
        producers.keys.sorted().flatMap { producers[$0] ?? [] }
    }
}
