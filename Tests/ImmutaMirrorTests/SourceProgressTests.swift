import ImmutaDaemonTesting
import ImmutaStorage
import ImmutaTestSupport
import Testing

@testable import ImmutaMirror

/// A source's record of what it appended, recovered after a crash at every point of a run of
/// batches: between a batch's entry and its records, and after both. The applied sequence is
/// always exactly that of the last batch the topic holds, so nothing is appended twice or skipped.
@Suite struct SourceProgressTests {
    @Test func recoveryAfterACrashAtEveryStepNamesTheLastBatchTheTopicHolds() throws {
        // Stream sequences with gaps (a filter subject), batches of 1 to 5 messages.
        let batches: [[UInt64]] = [[1, 2, 3], [5], [6, 7, 9, 10, 11], [12, 13], [20], [21, 22, 23, 24]]
        for crashAfterStep in 0...(batches.count * 2) {
            let directory = TemporaryDirectory(prefix: "source-progress")
            let store = try TopicStore.open(dataDirectory: directory.path).0
            let topic = try store.create("inbound")
            var progress = try SourceProgress(directory: directory.path + "/progress", name: "source s")
            var applied: UInt64 = 0
            var step = 0
            for batch in batches {
                guard step < crashAfterStep else { break }
                let payloads = batch.map { Array("message \($0)".utf8) }
                if step + 1 == crashAfterStep {
                    // A crash after the entry, before the records: the entry alone.
                    try progress.record(
                        SourceProgress.Entry(
                            firstOffset: topic.log.nextOffset, count: UInt64(batch.count), previousSequence: applied, lastSequence: batch.last!))
                    step += 1
                    break
                }
                var framed: [UInt8] = []
                for payload in payloads {
                    withUnsafeBytes(of: UInt64(payload.count).littleEndian) { framed += $0 }
                    framed += payload
                }
                let previous = applied
                _ = try framed.withUnsafeBytes { bytes in
                    try topic.log.append(framed: bytes) { firstOffset, _, count in
                        try progress.record(
                            SourceProgress.Entry(
                                firstOffset: firstOffset, count: UInt64(count), previousSequence: previous, lastSequence: batch.last!))
                    }
                }
                applied = batch.last!
                step += 2
            }
            try progress.log.close()
            try store.close()
            // Reopened as after the crash.
            let reopened = try TopicStore.open(dataDirectory: directory.path).0
            progress = try SourceProgress(directory: directory.path + "/progress", name: "source s")
            let recovered = progress.applied(topicEnd: try reopened.topic("inbound").log.nextOffset)
            #expect(recovered == applied, "crash after step \(crashAfterStep)")
            try progress.log.close()
            try reopened.close()
        }
    }

    @Test func anEntryRoundTripsThroughItsBytes() {
        for values in [(0, 1, 0, 1), (5, 100, 7, 300), (UInt64.max, UInt64.max - 1, 12, UInt64.max)] as [(UInt64, UInt64, UInt64, UInt64)] {
            let entry = SourceProgress.Entry(firstOffset: values.0, count: values.1, previousSequence: values.2, lastSequence: values.3)
            #expect(entry.bytes.count == 32)
            #expect(SourceProgress.Entry(entry.bytes) == entry)
        }
    }
}

/// The names a mirror derives: stream names JetStream accepts, patterns, message ids.
@Suite struct MirrorNamesTests {
    @Test func streamNamesHoldOnlyWhatJetStreamAccepts() {
        let cases = [
            ("IMMUTA_edge-17_orders", "IMMUTA_edge-17_orders"), ("IMMUTA_h_events.web", "IMMUTA_h_events_web"),
            ("a b*c>d/e\\f", "a_b_c_d_e_f"), ("ünï", "_n_"),
        ]
        for (text, expected) in cases { #expect(MirrorNames.streamName(text) == expected, "\(text)") }
        #expect(MirrorNames.expand("IMMUTA_{host}_{topic}", host: "h", topic: "t") == "IMMUTA_h_t")
        #expect(MirrorNames.expand("immuta_{host}_{name}", host: "h", name: "n") == "immuta_h_n")
    }

    @Test func topicPatternsMatchLikeShellGlobs() {
        #expect(MirrorNames.matches("orders", pattern: "orders"))
        #expect(!MirrorNames.matches("orders2", pattern: "orders"))
        #expect(MirrorNames.matches("events.web", pattern: "events.*"))
        #expect(!MirrorNames.matches("events", pattern: "events.*"))
        #expect(MirrorNames.matches("anything", pattern: "*"))
    }

    @Test func messageIDsNameTheirHostTopicAndOffset() {
        for offset: UInt64 in [0, 1, 99, UInt64.max] {
            let id = MirrorNames.messageID(host: "h", topic: "t.x", offset: offset)
            #expect(MirrorNames.offset(inMessageID: id, host: "h", topic: "t.x") == offset)
            #expect(MirrorNames.offset(inMessageID: id, host: "h2", topic: "t.x") == nil)
            #expect(MirrorNames.offset(inMessageID: id, host: "h", topic: "t") == nil)
        }
        #expect(MirrorNames.offset(inMessageID: "h/t/", host: "h", topic: "t") == nil)
        #expect(MirrorNames.offset(inMessageID: "h/t/12x", host: "h", topic: "t") == nil)
    }
}
