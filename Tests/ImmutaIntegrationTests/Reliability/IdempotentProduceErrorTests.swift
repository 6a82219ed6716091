import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import NIOCore
import Testing

/// PRODUCE_IDEMPOTENT against the real immutad: a resend is answered with its original offsets and
/// `duplicate` set; each refused sequence gets its own error code and a message saying what to do,
/// and stores nothing.
@Suite(.timeLimit(.minutes(10))) struct IdempotentProduceErrorTests {
    static func batch(_ text: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt64(text.utf8.count), endianness: .little)
        buffer.writeString(text)
        return buffer
    }

    @Test func resendsAreAnsweredAndBadSequencesAreRefusedWithTheirOwnCodes() async throws {
        let dir = TemporaryDirectory()
        let daemon = try await DaemonProcess.start(in: dir.path, config: "max_producers_per_topic: 2\n")
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        _ = try await client.createTopic("t")
        let first = try await client.produce("t", framedRecords: Self.batch("a"), count: 1, producer: 7, sequence: 0)
        #expect(!first.duplicate)
        let again = try await client.produce("t", framedRecords: Self.batch("a"), count: 1, producer: 7, sequence: 0)
        #expect(again.duplicate && again.result == first.result)

        let refusals: [(String, ErrorCode, String, UInt64, UInt64, String)] = [
            ("a gap", .sequenceGap, "the next batch must be 1", 7, 5, "x"),
            ("a reused number", .duplicateSequence, "other contents", 7, 0, "changed"),
            ("an unknown producer past 0", .unknownProducer, "start again from batch 0", 8, 3, "y"),
        ]
        for (what, code, says, producer, sequence, text) in refusals {
            do {
                _ = try await client.produce("t", framedRecords: Self.batch(text), count: 1, producer: producer, sequence: sequence)
                Issue.record("\(what) was stored")
            } catch let error as ImmutaError {
                #expect(error.code == code, "\(what): \(error)")
                #expect(error.message.contains(says), "\(what): \(error)")
            }
        }
        // max_producers_per_topic is 2: a third producer is refused, naming the key.
        _ = try await client.produce("t", framedRecords: Self.batch("b"), count: 1, producer: 8, sequence: 0)
        do {
            _ = try await client.produce("t", framedRecords: Self.batch("c"), count: 1, producer: 9, sequence: 0)
            Issue.record("a third producer was admitted")
        } catch let error as ImmutaError {
            #expect(error.code == .tooManyProducers && error.message.contains("max_producers_per_topic"), "\(error)")
        }
        #expect(try await client.describeTopic("t").nextOffset == 2, "only the two accepted batches were stored")
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    @Test(arguments: ["max_producers_per_topic: 0", "max_producers_per_topic: 1000001", "producer_expiry: 10s", "producer_expiry: 400d"])
    func producerLimitsOutOfRangeAreRefused(line: String) async throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/immuta.conf"
        try (line + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await CliProcess(
            ["--config", path, "--check-config"], socket: nil, executable: TestBinaries.path("immutad")
        ).finish()
        #expect(result.status == 78, "\(line) was accepted")
        #expect(result.stderr.contains(String(line.prefix { $0 != ":" })), "\(line): \(result.stderr)")
    }
}
