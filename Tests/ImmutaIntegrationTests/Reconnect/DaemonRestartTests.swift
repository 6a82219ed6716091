import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaLocks
import ImmutaTestSupport
import Synchronization
import Testing

/// `systemctl restart immuta` under socket activation, four times, while followers, group
/// members and producers run: no client ends, every follower prints every record exactly once
/// and in order, the group covers every record and commits to the end, and nothing acknowledged
/// is lost or stored twice.
@Suite(.timeLimit(.minutes(10))) struct DaemonRestartTests {
    static let restarts = 4

    @Test func clientsRideOutRestartsUnderSocketActivation() async throws {
        var daemon = try await RestartingDaemon()
        try await Cli.expect(0, ["topic", "create", "feed"], socket: daemon.path)
        let followers = try (0..<3).map { _ in try PipedCli(["consume", "feed", "--follow"], socket: daemon.path) }
        let members = try (0..<2).map { _ in
            try PipedCli(["consume", "feed", "--group", "workers", "--follow", "--from", "earliest"], socket: daemon.path)
        }
        let cliProducer = try PipedCli(["produce", "feed"], socket: daemon.path)
        let cliClients = followers + members + [cliProducer]
        let subscriber = try await RecordingSubscriber(socket: daemon.path, topic: "feed")
        let swiftProducer = SwiftLoad(socket: daemon.path, topic: "feed")
        let cliLoad = CliLoad(cliProducer)
        let admin = try await ImmutaClient.connect(socketPath: daemon.path)
        try await GroupTesting.eventually("both members joined") {
            try await admin.listGroups(topic: "feed").first { $0.group == "workers" }?.members.count == 2
        }
        // What ends a wait at once: a client that ended, a Swift client that failed.
        let failure: @Sendable () -> String? = {
            let ended = cliClients.first { !$0.isRunning }.map { "\($0.process.arguments ?? []) ended: \($0.said)" }
            return ended ?? subscriber.failure ?? swiftProducer.failure
        }

        for round in 0...Self.restarts {
            let acknowledged = swiftProducer.acknowledgedCount
            if round > 0 { try await daemon.restart() }
            // Before the next restart (or the end), every client is at work on this daemon, so
            // that each restart hits all of them: each said it reconnected (the subscription and
            // the Swift producer told their policies), both producers stored records here, and
            // the followers and the subscription read up to the end of the topic here.
            try await Self.waitUntil("every client resumed after restart \(round)", cliClients, unless: failure) {
                cliClients.allSatisfy { $0.stderr.lines.count { $0.contains("reconnected after") } >= round }
                    && subscriber.resumptions >= round && swiftProducer.resumptions >= round
                    && swiftProducer.acknowledgedCount > acknowledged && (followers[0].stdout.lines.last ?? "").hasPrefix("cli-")
            }
            let end = Int(try await admin.describeTopic("feed").nextOffset)
            try await Self.waitUntil("the followers read \(end) records after restart \(round)", followers, unless: failure) {
                followers.allSatisfy { $0.stdout.lines.count >= end } && subscriber.count >= end
            }
        }
        let written = try await cliLoad.finish()
        let acknowledged = try await swiftProducer.finish()
        #expect(await cliProducer.waitForExit() == 0, "produce: \(cliProducer.said)")
        #expect(cliProducer.said.contains("produced \(written.count) records to feed"), "\(cliProducer.said)")

        // Nothing acknowledged lost, nothing stored twice: the topic holds each payload once,
        // each producer's in the order it sent them.
        let client = admin
        let stored = try await GroupTesting.readAll(client, "feed").map(\.string)
        #expect(stored.count == written.count + acknowledged.count, "stored \(stored.count) records")
        #expect(stored.filter { $0.hasPrefix("cli-") } == written)
        #expect(stored.filter { $0.hasPrefix("swift-") } == acknowledged)

        // Every follower prints each record once, in order; so does the Swift subscription.
        try await Self.waitUntil("the followers printed all \(stored.count) records", followers) {
            followers.allSatisfy { $0.stdout.lines.count >= stored.count }
        }
        for (index, follower) in followers.enumerated() {
            let lines = follower.stdout.lines
            #expect(lines == stored, "follower \(index) printed \(lines.count) lines; first difference at \(lines.firstDifference(from: stored))")
            #expect(follower.said.contains("connection to immutad lost ("), "\(follower.said)")
            #expect(follower.said.contains("resuming at offset"), "\(follower.said)")
        }
        try await subscriber.waitFor(stored.count)
        #expect(subscriber.records.map(\.offset) == Array(0..<UInt64(stored.count)))
        #expect(subscriber.records.map(\.payload) == stored)

        // The group covers every record and commits to the end.
        try await GroupTesting.eventually("the group committed to the end") {
            try await client.describeGroup("feed", group: "workers").committedOffset == UInt64(stored.count)
        }
        let grouped = Set(members.flatMap(\.stdout.lines))
        #expect(grouped.isSuperset(of: stored), "the members never printed \(Set(stored).subtracting(grouped).count) records")

        // No client ended on its own; each said what happened.
        for cli in followers + members {
            #expect(cli.isRunning, "\(cli.process.arguments ?? []) ended: \(cli.said)")
            #expect(cli.said.contains("reconnecting…"), "\(cli.said)")
            cli.signal(SIGTERM)
        }
        for member in members { #expect(await member.waitForExit() == 143, "\(member.said)") }
        for follower in followers { _ = await follower.waitForExit() }
        subscriber.cancel()
        await client.close()
        #expect(await daemon.stopForGood() == 0)
    }

    /// Waits until `condition` holds, re-checked whenever one of `clients` prints something (the
    /// Swift clients' progress comes with the followers' output); fails as soon as `failure`
    /// names one.
    static func waitUntil(
        _ what: String, _ clients: [PipedCli], unless failure: @escaping @Sendable () -> String? = { nil },
        _ condition: @escaping @Sendable () -> Bool
    ) async throws {
        let outputs = clients.flatMap { [$0.stdout, $0.stderr] }
        let met = await LineCollector.wait(for: outputs, timeout: TestBudget.time(.seconds(120))) { failure() != nil || condition() }
        if let failure = failure() { throw DaemonTestError("while waiting until \(what): \(failure)") }
        guard met else {
            let said = clients.map {
                "\($0.process.arguments ?? []) running \($0.isRunning), \($0.stdout.lines.count) lines out, last \($0.stdout.lines.last ?? ""): \($0.said)"
            }
            throw DaemonTestError("timed out waiting until \(what):\n" + said.joined(separator: "\n"))
        }
    }
}

extension Array where Element == String {
    /// The first index where the two differ (for messages).
    func firstDifference(from other: [String]) -> Int {
        zip(self, other).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? Swift.min(count, other.count)
    }
}
