import Foundation
import ImmutaDaemonTesting

/// Runs the built immutactl (offline commands: verify, repair) and captures what it printed.
enum Immutactl {
    struct Output: Sendable {
        var status: Int32
        var text: String
    }

    static func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestBinaries.path("immutactl"))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        // Read on a thread of its own: a full pipe would otherwise block the tool forever.
        let output = try await withDeadline(timeout, "immutactl \(arguments.joined(separator: " "))") {
            await withCheckedContinuation { (continuation: CheckedContinuation<Output, Never>) in
                Thread.detachNewThread {
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: Output(status: process.terminationStatus, text: String(decoding: data, as: UTF8.self)))
                }
            }
        }
        return output
    }
}
