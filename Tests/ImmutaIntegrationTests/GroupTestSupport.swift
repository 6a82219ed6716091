import ImmutaLocks
import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import Synchronization
import Testing

/// One record line printed by `immuta-group-member`.
struct MemberRecord: Hashable, Sendable {
    var offset: UInt64
    var delivery: Int
    var payload: String

    /// Parses `offset=<o> delivery=<n> payload=<text>`.
    init?(line: String) {
        guard line.hasPrefix("offset=") else { return nil }
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].hasPrefix("delivery="), parts[2].hasPrefix("payload="),
            let offset = UInt64(parts[0].dropFirst("offset=".count)), let delivery = Int(parts[1].dropFirst("delivery=".count))
        else { return nil }
        self.offset = offset
        self.delivery = delivery
        self.payload = String(parts[2].dropFirst("payload=".count))
    }
}

/// A running `immuta-group-member` process. Tests wait on the lines it prints, never on time.
final class MemberProcess: Sendable {
    let process: Process
    let stdout: LineCollector
    let stderr: LineCollector
    let label: String

    var pid: Int32 { process.processIdentifier }

    /// Starts a member of `group` on `topic`; `arguments` are its options (`--no-ack`, `--from 5`…).
    init(socket: String, topic: String, group: String, arguments: [String] = [], label: String = "member") throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestBinaries.path("immuta-group-member"))
        process.arguments = [socket, topic, group, "--name", label] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        stdout = LineCollector(handle: out.fileHandleForReading)
        stderr = LineCollector(handle: err.fileHandleForReading)
        self.process = process
        self.label = label
        try process.run()
    }

    /// Every record line so far, in the order printed.
    var records: [MemberRecord] { stdout.lines.compactMap(MemberRecord.init(line:)) }

    /// Waits until the printed lines satisfy `condition`; fails when the process ends first or
    /// after `timeout` (a safety net: the condition is normally met long before).
    @discardableResult
    func waitUntil(
        _ what: String, timeout: Duration = .seconds(60), _ condition: @escaping @Sendable ([String]) -> Bool
    ) async throws -> [String] {
        let stdout = self.stdout
        guard await LineCollector.wait(for: [stdout], timeout: timeout, { condition(stdout.lines) }) else {
            throw DaemonTestError(
                "\(label) (pid \(pid)) never printed \(what) (running: \(process.isRunning)); stdout:\n"
                    + stdout.lines.suffix(20).joined(separator: "\n") + "\nstderr:\n" + stderr.lines.joined(separator: "\n"))
        }
        return stdout.lines
    }

    /// Waits until the members' record lines together satisfy `condition` (woken by their output).
    static func waitUntil(
        _ members: [MemberProcess], _ what: String, timeout: Duration = .seconds(60),
        _ condition: @escaping @Sendable ([[MemberRecord]]) -> Bool
    ) async throws {
        let check: @Sendable () -> Bool = { condition(members.map(\.records)) }
        guard await LineCollector.wait(for: members.map(\.stdout), timeout: timeout, check) else {
            throw DaemonTestError(
                "members never printed \(what); last lines:\n"
                    + members.map { "\($0.label): \($0.stdout.lines.suffix(5)) \($0.stderr.lines)" }.joined(separator: "\n"))
        }
    }

    /// Waits for the `joined …` line.
    func waitUntilJoined() async throws {
        try await waitUntil("its joined line") { $0.contains { $0.hasPrefix("joined ") } }
    }

    /// Waits until it printed at least `count` record lines.
    @discardableResult
    func waitForRecords(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [MemberRecord] {
        try await waitUntil("\(count) records", timeout: timeout) { lines in
            lines.lazy.filter { $0.hasPrefix("offset=") }.count >= count
        }.compactMap(MemberRecord.init(line:))
    }

    /// Waits until it printed a record line for every offset in `offsets`.
    @discardableResult
    func waitForOffsets(_ offsets: Set<UInt64>, timeout: Duration = .seconds(60)) async throws -> [MemberRecord] {
        try await waitUntil("offsets \(offsets.min() ?? 0)...\(offsets.max() ?? 0) (\(offsets.count))", timeout: timeout) { lines in
            offsets.isSubset(of: lines.compactMap { MemberRecord(line: $0)?.offset })
        }.compactMap(MemberRecord.init(line:))
    }

    /// Sends a signal.
    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// SIGKILLs the process and waits for it to end.
    func kill9() async {
        signal(SIGKILL)
        _ = await waitForExit()
    }

    /// Waits for the process to end; returns its exit status.
    func waitForExit() async -> Int32 {
        let process = self.process
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Collects a child's output line by line on a background thread, and tells subscribers
/// whenever lines arrive or the output ends.
final class LineCollector: Sendable {
    private struct State {
        var lines: [String] = []
        var partial = ""
        var closed = false
        var nextID = 0
        var subscribers: [Int: AsyncStream<Void>.Continuation] = [:]
    }

    private let state = Locked(State())

    init(handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                let subscribers = state.withLock { state in
                    if data.isEmpty {
                        state.closed = true
                        if !state.partial.isEmpty { state.lines.append(state.partial) }
                        state.partial = ""
                    } else {
                        state.partial += String(decoding: data, as: UTF8.self)
                        var pieces = state.partial.split(separator: "\n", omittingEmptySubsequences: false)
                        state.partial = String(pieces.removeLast())
                        state.lines += pieces.map(String.init)
                    }
                    return Array(state.subscribers.values)
                }
                for subscriber in subscribers { subscriber.yield() }
                if data.isEmpty { return }
            }
        }
    }

    var lines: [String] { state.withLock { $0.lines } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// An element now and whenever new output arrives (or the output ends).
    func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) } }
        continuation.yield()
        return stream
    }

    /// Waits until `condition` holds, re-checking it whenever one of `collectors` prints something;
    /// returns whether it holds (false once `timeout` passed, or all outputs ended without it).
    static func wait(for collectors: [LineCollector], timeout: Duration, _ condition: @escaping @Sendable () -> Bool) async -> Bool {
        let (merged, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let forwarders = collectors.map { collector in
            Task {
                for await _ in collector.changes() { continuation.yield() }
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            continuation.finish()
        }
        defer {
            for forwarder in forwarders { forwarder.cancel() }
            timer.cancel()
            continuation.finish()
        }
        for await _ in merged {
            if condition() { return true }
            if collectors.allSatisfy(\.isClosed) { break }
        }
        return condition()
    }
}

/// Helpers shared by the consumer-group tests.
enum GroupTesting {
    /// Produces `payloads` in batches of `batch` and returns the offset after the last one.
    @discardableResult
    static func produce(_ client: ImmutaClient, _ topic: String, _ payloads: [String], batch: Int = 100) async throws -> UInt64 {
        var next: UInt64 = 0
        for start in stride(from: 0, to: payloads.count, by: batch) {
            let chunk = payloads[start..<min(start + batch, payloads.count)]
            let result = try await client.produce(topic, chunk.map { Array($0.utf8) }, ack: .write)
            next = result.firstOffset + UInt64(result.count)
        }
        return next
    }

    /// Polls `condition` (a daemon state with no event to wait on, such as a committed offset)
    /// every few milliseconds until it holds; fails after `timeout`.
    static func eventually(
        _ what: String, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
                throw DaemonTestError("timed out waiting until \(what)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs `body` and checks that it throws an ``ImmutaError`` with `code` whose message contains
    /// every one of `mentioning`.
    static func expectError(
        _ code: ErrorCode, mentioning: [String] = [], _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("\(what): succeeded instead of failing with \(code)", sourceLocation: sourceLocation)
        } catch let error as ImmutaError {
            #expect(error.code == code, "\(what): \(error)", sourceLocation: sourceLocation)
            for text in mentioning {
                #expect(error.message.contains(text), "\(what): \(String(reflecting: error.message)) lacks \(String(reflecting: text))", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("\(what): \(error) instead of \(code)", sourceLocation: sourceLocation)
        }
    }

    /// Every record of a topic (a small one), in order.
    static func readAll(_ client: ImmutaClient, _ topic: String) async throws -> [ImmutaRecord] {
        let end = try await client.describeTopic(topic).nextOffset
        var records: [ImmutaRecord] = []
        var offset = try await client.describeTopic(topic).earliestOffset
        while offset < end {
            let fetched = try await client.fetch(topic, from: .offset(offset), maxRecords: 10_000, maxBytes: 8 << 20)
            records += fetched.records
            guard fetched.nextOffset > offset else { throw DaemonTestError("a fetch of \(topic) at \(offset) below \(end) made no progress") }
            offset = fetched.nextOffset
        }
        return records
    }
}
