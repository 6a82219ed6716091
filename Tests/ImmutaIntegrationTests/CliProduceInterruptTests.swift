import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Ctrl-C on `produce` ends its input where it is and says what was stored, with the status of a
/// process stopped by the signal (it used to die printing nothing).
@Suite(.timeLimit(.minutes(5))) struct CliProduceInterruptTests {
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedProduceSaysWhatItStored(signal: Int32) async throws {
        let cli = try await CliDaemon()
        let client = try await ImmutaClient.connect(socketPath: cli.socket)
        try await client.createTopic("t", options: TopicOptions(durability: "none"))
        let producer = try InteractiveProcess(
            executable: TestBinaries.path("immutactl"), ["produce", "t"], environment: ["IMMUTA_SOCKET": cli.socket])
        try producer.send((0..<1000).map { "line \($0)\n" }.joined())
        try await GroupTesting.eventually("the first 1000 lines are stored") {
            try await client.describeTopic("t").nextOffset == 1000
        }
        // The input stays open, as a terminal's would: the signal alone ends it.
        kill(producer.pid, signal)
        let status = try await producer.waitForExit(timeout: .seconds(30))
        #expect(status == 128 + signal)
        let said = producer.stderr.lines.joined(separator: "\n")
        let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
        #expect(said.contains("produced 1000 records to t: offsets 0..999; stopped by \(name)"), "\(said)")
        #expect(try await client.describeTopic("t").nextOffset == 1000)
        producer.closeInput()
        await client.close()
        #expect(await cli.daemon.stop() == 0)
    }
}
