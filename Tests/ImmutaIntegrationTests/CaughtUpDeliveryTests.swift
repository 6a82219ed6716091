import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A subscription that has caught up gets each new small batch from memory, handed over by the
/// append; larger batches, and subscriptions whose credit does not cover a batch, are read from
/// the segment files. Whichever way, the subscriber sees every record once, in order, intact.
@Suite(.timeLimit(.minutes(5))) struct CaughtUpDeliveryTests {
    @Test func caughtUpSubscribersGetEveryBatchInOrderFromMemoryOrFile() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path)
        let producer = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "producer")
        let reader = try await ImmutaClient.connect(socketPath: daemon.socketPath, clientName: "reader")
        try await producer.createTopic("tail", options: TopicOptions(durability: "none"))
        // Ample credit (the fast path) and a credit of 2 records (smaller than most batches).
        var ample = try await reader.subscribe("tail", from: .earliest).makeAsyncIterator()
        var narrow = try await reader.subscribe("tail", from: .earliest, creditRecords: 2).makeAsyncIterator()
        let before = try await producer.stats()["records_delivered_from_memory"] ?? 0

        var random = SeededGenerator(seed: 7)
        var smallRecords = 0
        var offset: UInt64 = 0
        for round in 0..<150 {
            // Every 25th batch is larger than the 64 KiB handed on from memory.
            let large = round % 25 == 24
            let count = large ? 3 : Int.random(in: 1...12, using: &random)
            let payloads = Payloads.random(count: count, sizes: large ? 30_000...40_000 : 0...400, using: &random)
            try await producer.produce("tail", payloads, ack: .write)
            if !large { smallRecords += count }
            // Wait for the batch at both subscribers, so the next one finds them caught up.
            for (i, payload) in payloads.enumerated() {
                let a = try #require(try await ample.next())
                let n = try #require(try await narrow.next())
                #expect(a.offset == offset && a.bytes == payload, "round \(round) record \(i), ample credit")
                #expect(n.offset == offset && n.bytes == payload, "round \(round) record \(i), credit of 2")
                offset += 1
            }
        }
        let fromMemory = (try await producer.stats()["records_delivered_from_memory"] ?? 0) - before
        // The ample subscription qualifies for every small batch, though it may miss one that
        // lands while it still reads from the file after a large one; the narrow one only for
        // batches of 1 or 2 records. Large batches never do.
        #expect(fromMemory <= 2 * Int64(smallRecords))
        #expect(fromMemory >= Int64(smallRecords) * 8 / 10, "\(fromMemory) of \(smallRecords) small-batch records came from memory")
        await producer.close()
        await reader.close()
        await daemon.stop()
    }
}
