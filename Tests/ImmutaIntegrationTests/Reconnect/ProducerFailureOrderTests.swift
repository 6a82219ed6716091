import Foundation
import ImmutaDaemonTesting
import ImmutaProtocol
import ImmutaTestSupport
import Testing

@testable import Immuta

/// A batch that waits for its turn inside ImmutaProducer while an earlier batch fails is not sent:
/// numbered after the failure, it would be stored behind the gap, out of order with the batches
/// its caller sent first.
@Suite(.timeLimit(.minutes(5))) struct ProducerFailureOrderTests {
    @Test func aCallWaitingForItsTurnFailsWithTheBatchesAheadOfIt() async throws {
        let dir = TemporaryDirectory(prefix: "order")
        let daemon = try await DaemonProcess.start(in: dir.path)
        let admin = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await admin.createTopic("t", options: TopicOptions(maxRecordBytes: 100))
        let producer = ImmutaProducer(socketPath: daemon.socketPath, reconnect: .disabled)
        _ = try await producer.client()
        let limit = ImmutaProducer.maxInFlightPerTopic

        // With the daemon stopped, the first batch (too large: it will be refused) and the ones
        // behind it fill the window, and one more call waits for a place in it.
        daemon.signal(SIGSTOP)
        var calls: [Task<Result<ProduceResult, any Error>, Never>] = []
        for index in 0...limit {
            let payload = [UInt8](repeating: UInt8(ascii: "a"), count: index == 0 ? 200 : 10)
            calls.append(
                Task {
                    do {
                        return .success(try await producer.produce("t", [payload], ack: .write))
                    } catch {
                        return .failure(error)
                    }
                })
            let (sent, waiting) = (min(index + 1, limit), index + 1 - min(index + 1, limit))
            #expect(await eventually { await producer.queue(on: "t") == (sent, waiting) }, "call \(index) took its place")
        }
        daemon.signal(SIGCONT)

        var outcomes: [String] = []
        for call in calls {
            switch await call.value {
            case .success(let result): outcomes.append("stored at \(result.firstOffset)")
            case .failure(let error): outcomes.append("\((error as? ImmutaError)?.code.description ?? "\(error)")")
            }
        }
        #expect(outcomes.first == ImmutaProtocol.ErrorCode.recordTooLarge.description, "\(outcomes)")
        #expect(!outcomes.contains { $0.hasPrefix("stored") }, "nothing after the refused batch is stored: \(outcomes)")
        #expect(try await admin.describeTopic("t").nextOffset == 0)

        // The caller, told of the failure, goes on: the next batch is stored, at the start.
        let next = try await producer.produce("t", [Array("after".utf8)], ack: .write)
        #expect(next.firstOffset == 0)
        await producer.close()
        await admin.close()
        #expect(await daemon.stop() == 0)
    }
}
