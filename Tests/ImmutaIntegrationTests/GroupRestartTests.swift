import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaProtocol
import Testing

/// Groups resume where they left off after a clean restart, in managed and in manual commit mode.
@Suite(.timeLimit(.minutes(15))) struct GroupRestartTests {
    @Test func managedGroupResumesFromItsCommittedOffsetAfterARestart() async throws {
        let dir = TemporaryDirectory()
        var daemon = try await DaemonProcess.start(in: dir.path)
        var client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("feed")
        try await GroupTesting.produce(client, "feed", (0..<1000).map { "entry-\($0)" })

        let first = try MemberProcess(
            socket: daemon.socketPath, topic: "feed", group: "indexer",
            arguments: ["--from", "earliest", "--count", "400", "--max-in-flight", "100", "--ack-timeout-ms", "45000", "--max-deliveries", "7"])
        #expect(await first.waitForExit() == 0)
        #expect(first.records.map(\.offset) == Array(0..<400))
        let before = try await client.describeGroup("feed", group: "indexer")
        #expect(before.committedOffset == 400 && before.members.isEmpty && before.inFlight == 0)
        await client.close()
        #expect(await daemon.stop() == 0)

        daemon = try await DaemonProcess.start(in: dir.path)
        client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        let after = try await client.describeGroup("feed", group: "indexer")
        #expect(after.committedOffset == 400)
        #expect(after.maxInFlight == 100 && after.ackTimeoutMilliseconds == 45000 && after.maxDeliveries == 7)
        #expect(after.deadLetterTopic == "feed.dlq")
        #expect(try await client.listGroups(topic: "feed").map(\.group) == ["indexer"])

        // `--from earliest` is ignored: the group exists and resumes at its committed offset.
        let second = try MemberProcess(
            socket: daemon.socketPath, topic: "feed", group: "indexer", arguments: ["--from", "earliest", "--stop-when-idle"])
        #expect(await second.waitForExit() == 0)
        #expect(second.stdout.lines.first?.hasSuffix(" committed=400") == true)
        #expect(second.records.map(\.offset) == Array(400..<1000))
        #expect(second.records.allSatisfy { $0.delivery == 1 && $0.payload == "entry-\($0.offset)" })
        #expect(try await client.describeGroup("feed", group: "indexer").committedOffset == 1000)
        await client.close()
        #expect(await daemon.stop() == 0)
    }

    /// Manual (Kafka-style) consumption: read the committed offset, fetch from it, commit forward.
    @Test func manualCommitModeFetchesFromTheCommittedOffsetAndCommitsForward() async throws {
        let dir = TemporaryDirectory()
        var daemon = try await DaemonProcess.start(in: dir.path)
        var client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        try await client.createTopic("ledger")
        try await GroupTesting.produce(client, "ledger", (0..<600).map { "line-\($0)" })

        var committed = try await client.committedOffset("ledger", group: "auditor", creatingAt: .offset(100))
        #expect(committed == 100)
        // Process in chunks: fetch from the committed offset, commit after the chunk.
        var processed: [String] = []
        while committed < 400 {
            let fetched = try await client.fetch("ledger", from: .offset(committed), maxRecords: 75)
            try #require(fetched.nextOffset > committed, "a fetch at \(committed) made no progress")
            processed += fetched.records.map(\.string)
            try await client.commit("ledger", group: "auditor", offset: fetched.nextOffset)
            committed = try await client.committedOffset("ledger", group: "auditor")
            #expect(committed == fetched.nextOffset)
        }
        #expect(processed == (100..<committed).map { "line-\($0)" })
        // Committing the same offset again is allowed; backwards or past the end is not.
        try await client.commit("ledger", group: "auditor", offset: committed)
        for backwards in [0, 99, committed - 1] {
            await GroupTesting.expectError(
                .commitBackwards, mentioning: ["\(backwards)", "below", "\(committed)", "reset"], "commit \(backwards)"
            ) {
                try await client.commit("ledger", group: "auditor", offset: backwards)
            }
        }
        for beyond in [601, 10_000, UInt64.max] {
            await GroupTesting.expectError(.offsetOutOfRange, mentioning: ["\(beyond)", "600"], "commit \(beyond)") {
                try await client.commit("ledger", group: "auditor", offset: beyond)
            }
        }
        // A managed member makes the group managed: manual commits wait until it leaves.
        let member = try await client.joinGroup("ledger", group: "auditor")
        await GroupTesting.expectError(.groupBusy, mentioning: ["auditor"], "a manual commit with a member joined") {
            try await client.commit("ledger", group: "auditor", offset: committed + 1)
        }
        try await member.leave()
        #expect(try await client.describeGroup("ledger", group: "auditor").committedOffset == committed)
        await client.close()
        #expect(await daemon.stop() == 0)

        // After a restart the commit is there (`creatingAt` is ignored for an existing group).
        daemon = try await DaemonProcess.start(in: dir.path)
        client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        #expect(try await client.committedOffset("ledger", group: "auditor", creatingAt: .earliest) == committed)
        let next = try await client.fetch("ledger", from: .offset(committed), maxRecords: 1)
        #expect(next.records.map(\.string) == ["line-\(committed)"])
        try await client.commit("ledger", group: "auditor", offset: 600)
        #expect(try await client.committedOffset("ledger", group: "auditor") == 600)
        await client.close()
        #expect(await daemon.stop() == 0)
    }
}
