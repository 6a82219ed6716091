import ImmutaLocks
import ArgumentParser
import Foundation
import Immuta
import Synchronization

/// Fuzzes a live immutad over its socket while a well-behaved client keeps using it; see
/// `scripts/fuzz.sh network`. Exits 0 only if the daemon stayed up and responsive and the
/// well-behaved client never failed.
@main
struct NetFuzz: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immuta-netfuzz",
        abstract: "Send random and mutated frames to a live immutad while a well-behaved client checks it still works.")

    @Option(help: "The daemon's Unix socket.")
    var socket: String

    @Option(help: "Fuzz connections kept open at once.")
    var connections = 50

    @Option(help: "Frames to send in all (0: no frame budget; then give --seconds).")
    var frames = 1_000_000

    @Option(help: "Stop after this many seconds, even if frames remain.")
    var seconds: Double?

    @Option(help: "Seed of the run; the same seed sends the same frames on each connection slot (default: random).")
    var seed: UInt64?

    @Option(help: "The daemon's process id: its death fails the run at once, and its memory is reported.")
    var pid: Int32?

    @Flag(help: "Also print how many frames of each kind (and ERROR code) the daemon sent back.")
    var showResponses = false

    @Option(help: "Save what each connection sent to this directory when the run fails.")
    var transcripts: String?

    @Option(help: "Instead of fuzzing, send this saved transcript on one connection and report what the daemon did.")
    var replay: String?

    @Option(
        help: """
            Seconds without progress (of the fuzz traffic or the well-behaved client) that count as a hang; also how \
            long the daemon may refuse connections, or keep one open after a connection-level error.
            """)
    var hangSeconds = 30.0

    mutating func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard frames >= 0 else { throw ValidationError("--frames must not be negative") }
        guard frames > 0 || seconds != nil else { throw ValidationError("give a frame budget, --seconds, or both") }
    }

    func run() async throws {
        if let replay {
            guard Replay(file: replay, socketPath: socket, patience: hangSeconds).run() else { throw ExitCode.failure }
            return
        }
        let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
        let state = RunState()
        let probe = pid.map(DaemonProbe.init)
        let started = RunState.now()
        print("immuta-netfuzz: seed \(seed), \(connections) connections, \(frames > 0 ? "\(frames)" : "unlimited") frames, socket \(socket)")
        let before = (rss: probe?.residentKiB, fds: probe?.openDescriptors)
        var monitor = Monitor(state: state, probe: probe, hangSeconds: hangSeconds)

        startWellBehavedClient(seed: seed, state: state)
        try await watch(&monitor, until: { state.clientReady.load(ordering: .acquiring) })
        if state.failures.isEmpty {
            // Fuzz until the budget is spent, time is up or something failed.
            startFuzzThread(seed: seed, state: state)
            try await watch(&monitor, until: { state.fuzzFinished.load(ordering: .acquiring) }) {
                if let seconds, Double(RunState.now() - started) / 1e9 >= seconds {
                    state.stopFuzzing.store(true, ordering: .releasing)
                }
            }
            // After a failure the thread still closes its connections and saves the transcripts.
            while !state.fuzzFinished.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(20)) }
        }
        // Then the well-behaved client stops producing and finishes its checks.
        state.stopFuzzing.store(true, ordering: .releasing)
        try await watch(&monitor, until: { state.clientFinished.load(ordering: .acquiring) })
        monitor.check()

        let elapsed = Double(RunState.now() - started) / 1e9
        let after = (rss: probe?.residentKiB, fds: probe?.openDescriptors)
        if showResponses {
            let tally = state.responses.withLock { $0 }
            let counts = tally.counts.sorted { $0.value > $1.value }
            print("immuta-netfuzz: responses: " + counts.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            for (key, message) in tally.examples.sorted(by: { $0.key < $1.key }) {
                print("immuta-netfuzz:   e.g. \(key): \(message)")
            }
        }
        for failure in state.failures { print("immuta-netfuzz: FAILURE: \(failure)") }
        if !state.failures.isEmpty {
            print("immuta-netfuzz: rerun with --seed \(seed) --connections \(connections) --frames \(frames)")
        }
        print(Summary(state: state, elapsed: elapsed, seed: seed, peakRSS: monitor.peakRSS, before: before, after: after).line)
        if !state.failures.isEmpty { throw ExitCode.failure }
    }

    /// Checks on the daemon and the client every 100 ms until `done` holds or something failed.
    private func watch(_ monitor: inout Monitor, until done: () -> Bool, each: () -> Void = {}) async throws {
        while !done() && monitor.state.failures.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            each()
            monitor.check()
        }
    }

    /// Runs the well-behaved client: produce and verify until fuzzing stops, then read everything
    /// back once more. Any error is a failure of the run.
    private func startWellBehavedClient(seed: UInt64, state: RunState) {
        let client = WellBehavedClient(socketPath: socket, topic: "netfuzz-wb-\(seed % 1_000_000)", seed: seed, state: state)
        Task {
            do {
                let producer = try await client.produceAndVerify()
                try await client.finalReadBack(producer, total: UInt64(state.recordsProduced.load(ordering: .relaxed)))
                _ = try await producer.ping()
                await producer.close()
            } catch {
                state.fail("well-behaved client: \(error)")
            }
            state.clientFinished.store(true, ordering: .releasing)
        }
    }

    /// Starts the fuzz loop on a thread of its own, since it blocks in poll(2).
    private func startFuzzThread(seed: UInt64, state: RunState) {
        let (socket, connections, frames, hang, tally, transcripts) = (
            socket, connections, frames > 0 ? frames : nil, hangSeconds, showResponses, transcripts
        )
        let thread = Thread {
            FuzzEngine(
                socketPath: socket, connections: connections, frames: frames, seed: seed, patience: hang,
                countResponses: tally, transcriptDirectory: transcripts, state: state
            ).run()
        }
        thread.name = "immuta-netfuzz"
        thread.start()
    }
}
