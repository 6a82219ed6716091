import Dispatch
import Foundation
import ImmutaLocks

/// The subscriber process of `bench e2e`: this executable again, as `bench e2e-receive`, with its
/// standard output read line by line. Another process, so that the latency measured includes what
/// a real consumer pays: the daemon's write, the kernel's wake-up of another process, its read.
final class E2EReceiverProcess: Sendable {
    private let process: Process
    private let output: FileHandle

    private init(process: Process, output: FileHandle) {
        self.process = process
        self.output = output
    }

    /// Starts the receiver and waits until it has subscribed (its `ready` line).
    static func start(socket: String, topic: String, from: UInt64, count: Int) async throws -> E2EReceiverProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = [
            "bench", "e2e-receive", "--socket", socket, "--topic", topic, "--from", String(from), "--count", String(count),
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let receiver = E2EReceiverProcess(process: process, output: pipe.fileHandleForReading)
        let first = await receiver.nextLine()
        guard first == "ready" else {
            receiver.stop()
            throw CLIError("the e2e subscriber did not start (it said \(first.map { "'\($0)'" } ?? "nothing"))")
        }
        return receiver
    }

    /// Waits for the receiver's latencies and its exit.
    func finish() async throws -> Latencies.Received {
        let line = await nextLine()
        process.waitUntilExit()
        guard let line, let parsed = Latencies.parse(line) else {
            throw CLIError("the e2e subscriber exited with status \(process.terminationStatus) without its latencies")
        }
        return Latencies.Received(count: parsed.count, points: parsed.points)
    }

    /// Ends the receiver (after a failed run).
    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// The next line of the receiver's output, read off the cooperative threads; nil at its end.
    private func nextLine() async -> String? {
        let output = output
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let byte = output.readData(ofLength: 1)
                    guard let first = byte.first else { return continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)) }
                    if first == UInt8(ascii: "\n") { return continuation.resume(returning: String(decoding: bytes, as: UTF8.self)) }
                    bytes.append(first)
                }
            }
        }
    }
}
