import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaLocks
import ImmutaTestSupport
import Synchronization
import Testing

/// Lines `cli-0`, `cli-1`, … written to `immutactl produce` ten at a time, on a thread of its own
/// (a write can block while the producer waits out a restart), until ``finish()``.
final class CliLoad: Sendable {
    private let state = Protected<(written: [String], stop: Bool, error: String?)>(([], false, nil))
    private let done = DispatchSemaphore(value: 0)
    private let producer: PipedCli

    init(_ producer: PipedCli) {
        self.producer = producer
        Thread.detachNewThread { [self] in
            var next = 0
            while !state.value.withLock({ $0.stop }) {
                let lines = (next..<next + 10).map { "cli-\($0)" }
                do {
                    try producer.write(lines.map { $0 + "\n" }.joined())
                } catch {
                    state.value.withLock { $0.error = "writing to produce: \(error)" }
                    break
                }
                state.value.withLock { $0.written += lines }
                next += 10
                usleep(10_000)  // pacing the load, not waiting for anything
            }
            done.signal()
        }
    }

    /// Stops writing and ends the producer's input; returns every line written, in order.
    func finish() async throws -> [String] {
        state.value.withLock { $0.stop = true }
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [done] in
                done.wait()
                continuation.resume()
            }
        }
        try producer.closeInput()
        let (written, error) = state.value.withLock { ($0.written, $0.error) }
        if let error { throw DaemonTestError(error) }
        return written
    }
}

/// Batches of ten payloads `swift-0`, `swift-1`, … from an ``ImmutaProducer`` with ack fsync,
/// one after the other, until ``finish()``; counts the producer's resumptions.
final class SwiftLoad: Sendable {
    private let state: Protected<(acknowledged: [String], resumptions: Int, stop: Bool, error: String?)>
    private let task = Locked<Task<Void, Never>?>(nil)
    private let producer: ImmutaProducer

    init(socket: String, topic: String) {
        let state = Protected<(acknowledged: [String], resumptions: Int, stop: Bool, error: String?)>(([], 0, false, nil))
        self.state = state
        producer = ImmutaProducer(
            socketPath: socket, clientName: "restart-producer",
            reconnect: ReconnectPolicy(timeout: RestartBudget.reconnect) { event in
                if case .resumed = event { state.value.withLock { $0.resumptions += 1 } }
            })
        let producer = self.producer
        task.withLock {
            $0 = Task {
                var next = 0
                while !state.value.withLock({ $0.stop }) {
                    let payloads = (next..<next + 10).map { "swift-\($0)" }
                    do {
                        try await producer.produce(topic, payloads.map { Array($0.utf8) })
                    } catch {
                        state.value.withLock { $0.error = "batch from \(next): \(error)" }
                        return
                    }
                    state.value.withLock { $0.acknowledged += payloads }
                    next += 10
                    try? await Task.sleep(for: .milliseconds(10))  // pacing the load, not waiting for anything
                }
            }
        }
    }

    var resumptions: Int { state.value.withLock { $0.resumptions } }
    var failure: String? { state.value.withLock { $0.error.map { "the Swift producer failed: \($0)" } } }
    var acknowledgedCount: Int { state.value.withLock { $0.acknowledged.count } }

    /// Stops after the batch in flight; returns every acknowledged payload, in order.
    func finish() async throws -> [String] {
        state.value.withLock { $0.stop = true }
        await task.withLock { $0 }?.value
        await producer.close()
        let (acknowledged, error) = state.value.withLock { ($0.acknowledged, $0.error) }
        if let error { throw DaemonTestError("the Swift producer failed: \(error)") }
        return acknowledged
    }
}

/// A Swift subscription from the earliest record, keeping what it receives.
final class RecordingSubscriber: Sendable {
    struct Received: Sendable {
        var offset: UInt64
        var payload: String
    }

    private let state = Protected<(records: [Received], resumptions: Int, error: String?)>(([], 0, nil))
    private let task = Locked<Task<Void, Never>?>(nil)

    init(socket: String, topic: String) async throws {
        let state = self.state
        let client = try await ImmutaClient.connect(
            socketPath: socket, clientName: "restart-subscriber",
            reconnect: ReconnectPolicy(timeout: RestartBudget.reconnect) { event in
                if case .resumed = event { state.value.withLock { $0.resumptions += 1 } }
            })
        let subscription = try await client.subscribe(topic, from: .earliest, creditRecords: 500)
        task.withLock {
            $0 = Task {
                do {
                    for try await record in subscription {
                        state.value.withLock { $0.records.append(Received(offset: record.offset, payload: record.string)) }
                    }
                } catch {
                    state.value.withLock { $0.error = "\(error)" }
                }
                await client.close()
            }
        }
    }

    var count: Int { state.value.withLock { $0.records.count } }
    var resumptions: Int { state.value.withLock { $0.resumptions } }
    var failure: String? { state.value.withLock { $0.error.map { "the subscription failed: \($0)" } } }
    var records: [Received] { state.value.withLock { $0.records } }

    /// Waits until it has received `count` records (there is no event to wait on: polls).
    func waitFor(_ count: Int) async throws {
        try await GroupTesting.eventually("the subscriber received \(count) records") {
            if let error = state.value.withLock({ $0.error }) { throw DaemonTestError("the subscription failed: \(error)") }
            return self.count >= count
        }
    }

    func cancel() {
        task.withLock { $0 }?.cancel()
    }
}

/// A value behind a lock, in a class so that closures made before its owner is whole can share it.
final class Protected<Value: Sendable>: Sendable {
    let value: Locked<Value>

    init(_ initial: Value) {
        value = Locked(initial)
    }
}

/// How long the restart tests' clients keep reconnecting: a restart is quick, but a daemon's
/// shutdown took up to 100 s under a loaded sanitizer run (the suite beside it), past the
/// default 30 s; what they test is that nothing is lost, not how fast a daemon stops.
enum RestartBudget {
    static let reconnect = TestBudget.time(.seconds(60))
    static var environment: [String: String] { ["IMMUTA_RECONNECT_TIMEOUT": "\(reconnect.components.seconds)s"] }
}
