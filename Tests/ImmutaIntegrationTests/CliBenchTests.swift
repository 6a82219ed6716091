import Foundation
import ImmutaDaemonTesting
import Testing

/// A short run of every `immutactl bench` workload against a real immutad: each prints one JSON
/// object with its figures (latency percentiles in order for rtt and e2e), delivers every record,
/// and leaves no topic behind. CI's smoke of the benchmarks; the figures themselves are measured
/// by scripts/bench-compare.sh, not here.
@Suite(.timeLimit(.minutes(5))) struct CliBenchTests {
    static func object(_ result: CliResult) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout))
        return try #require(parsed as? [String: Any], "\(result.out)")
    }

    @Test func everyWorkloadPrintsItsFiguresAndLeavesNoTopic() async throws {
        let cli = try await CliDaemon()
        let runs: [(name: String, arguments: [String], records: Int, latencies: Bool)] = [
            ("produce", ["--count", "20000"], 20_000, false),
            ("consume", ["--count", "20000"], 20_000, false),
            ("group", ["--count", "5000"], 5_000, false),
            ("rtt", ["--count", "300"], 300, true),
            ("rtt", ["--count", "100", "--ack", "fsync"], 100, true),
            ("e2e", ["--count", "500", "--rate", "2000"], 500, true),
            ("fanout", ["--count", "5000", "--consumers", "4"], 20_000, false),
            ("mixed", ["--count", "5001", "--producers", "2", "--consumers", "3", "--batch", "100"], 5001, true),
            ("mixed", ["--count", "3000", "--producers", "3", "--consumers", "2", "--processes"], 3000, true),
            ("mixed", ["--count", "2000", "--producers", "2", "--consumers", "0", "--processes"], 2000, false),
        ]
        for run in runs {
            let result = try await cli.expect(0, ["bench", run.name, "--size", "100", "--json"] + run.arguments)
            let figures = try Self.object(result)
            #expect(figures["benchmark"] as? String == run.name, "\(result.out)")
            #expect(figures["records"] as? Int == run.records, "\(run.name): \(result.out)")
            #expect((figures["records_per_sec"] as? Double ?? 0) > 0, "\(run.name): \(result.out)")
            if run.name == "mixed" {
                // Every subscriber got every record: the delivery rate is there exactly when they are.
                let consumers = figures["consumers"] as? Int ?? -1
                #expect(((figures["delivered_per_sec"] as? Double ?? 0) > 0) == (consumers > 0), "\(result.out)")
            }
            if run.latencies {
                let points = ["p50_us", "p90_us", "p99_us", "p999_us", "max_us"].map { figures[$0] as? Double ?? -1 }
                #expect(points.allSatisfy { $0 > 0 } && points == points.sorted(), "\(run.name): \(result.out)")
            }
        }
        let topics = try await cli.expect(0, ["topic", "list", "--json"])
        #expect(!topics.out.contains("bench-"), "every run deleted its topic: \(topics.out)")
    }

    @Test func outOfRangeValuesAreRefusedWithTheirRange() async throws {
        let dir = TemporaryDirectory(prefix: "bench")
        let refusals: [([String], String)] = [
            (["e2e", "--size", "100", "--count", "10", "--rate", "0"], "--rate 0 must be from 1 to 10000000"),
            (["e2e", "--size", "4", "--count", "10"], "8-byte time stamp"),
            (["fanout", "--size", "100", "--count", "10", "--consumers", "0"], "--consumers 0 must be from 1 to 1024"),
            (["fanout", "--size", "100", "--count", "10", "--consumers", "1025"], "--consumers 1025 must be from 1 to 1024"),
            (["rtt", "--size", "100", "--count", "0"], "--count 0"),
            (["mixed", "--size", "100", "--count", "10", "--producers", "0"], "--producers 0 must be from 1 to 256"),
            (["mixed", "--size", "100", "--count", "10", "--consumers", "1025"], "--consumers 1025 must be from 0 to 1024"),
            (["mixed", "--size", "7", "--count", "10"], "8-byte time stamp"),
        ]
        for (arguments, message) in refusals {
            let result = try await Cli.run(["bench"] + arguments + ["--socket", dir.path + "/none.sock"], socket: nil)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
