import ImmutaStorage

/// Which stream messages a source has appended, kept so that a crash between the local append
/// and JetStream's acknowledgement does not append them twice.
///
/// Before each batch's records are written, under the topic writer's lock, one 32-byte entry is
/// committed: the batch's first offset and record count, the stream sequence applied before it,
/// and its last message's stream sequence. Recovery looks only at the last entry: when the topic
/// holds the whole batch it was applied; otherwise it never landed (a batch is atomic), and the
/// sequence before it is the one applied.
struct SourceProgress {
    struct Entry: Equatable {
        var firstOffset: UInt64
        var count: UInt64
        var previousSequence: UInt64
        var lastSequence: UInt64

        static let size = 32

        var bytes: [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Self.size)
            bytes.withUnsafeMutableBytes { raw in
                for (index, value) in [firstOffset, count, previousSequence, lastSequence].enumerated() {
                    RecordFraming.storeUInt64(value, into: raw, at: index * 8)
                }
            }
            return bytes
        }

        init(firstOffset: UInt64, count: UInt64, previousSequence: UInt64, lastSequence: UInt64) {
            self.firstOffset = firstOffset
            self.count = count
            self.previousSequence = previousSequence
            self.lastSequence = lastSequence
        }

        init(_ bytes: [UInt8]) {
            let values = bytes.withUnsafeBytes { raw in (0..<4).map { RecordFraming.loadUInt64(raw, at: $0 * 8) } }
            self.init(firstOffset: values[0], count: values[1], previousSequence: values[2], lastSequence: values[3])
        }
    }

    let log: CommitLog

    init(directory: String, name: String) throws {
        log = try CommitLog(directory: directory, name: name, entrySize: Entry.size)
    }

    /// The last stream sequence whose message is in the topic, given where the topic ends.
    func applied(topicEnd: UInt64) -> UInt64 {
        guard let entry = log.lastEntry.map(Entry.init) else { return 0 }
        return topicEnd >= entry.firstOffset + entry.count ? entry.lastSequence : entry.previousSequence
    }

    func record(_ entry: Entry) throws {
        try log.commit(entry: entry.bytes)
    }
}
