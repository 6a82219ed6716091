import Dispatch
import Foundation
import ImmutaLocks

/// A process a benchmark starts to play one part (a subscriber of `bench e2e`, a producer or
/// consumer of `bench mixed --processes`): this executable again, with a hidden bench command,
/// talking to its parent in lines. Separate processes, so that the figures include what real
/// clients pay: the kernel's wake-up of another process and its read, and no shared runtime.
///
/// Foundation's `Process` starts it (posix_spawn with pipes, which hand-written code would only
/// repeat); `/proc/self/exe` names this very binary wherever it was run from.
final class BenchChildProcess: Sendable {
    private let process: Process
    private let output: FileHandle
    private let input: FileHandle
    private let role: String

    private init(process: Process, output: FileHandle, input: FileHandle, role: String) {
        self.process = process
        self.output = output
        self.input = input
        self.role = role
    }

    /// Starts `immutactl ARGUMENTS` and waits until it says `ready`.
    static func start(_ arguments: [String], role: String) async throws -> BenchChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = arguments
        let (stdout, stdin) = (Pipe(), Pipe())
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        let child = BenchChildProcess(
            process: process, output: stdout.fileHandleForReading, input: stdin.fileHandleForWriting, role: role)
        let first = await child.nextLine()
        guard first == "ready" else {
            child.stop()
            throw CLIError("the \(role) did not start (it said \(first.map { "'\($0)'" } ?? "nothing"))")
        }
        return child
    }

    /// Sends one line to the child's standard input.
    func send(_ line: String) {
        input.write(Data((line + "\n").utf8))
    }

    /// Waits for the child's last line and its exit; fails unless it exited with status 0.
    func finish() async throws -> String {
        let line = await nextLine()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line else {
            throw CLIError("the \(role) exited with status \(process.terminationStatus)")
        }
        return line
    }

    /// Ends the child (after a failed run).
    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// The next line of the child's output, read off the cooperative threads; nil at its end.
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
