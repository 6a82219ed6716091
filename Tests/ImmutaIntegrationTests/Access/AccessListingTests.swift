import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// Access control end to end: listings and existence.
extension AccessControlTests {
    @Test func listingsShowExactlyWhatEachUserMaySee() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config())
        try await AccessFixture.populate(daemon)
        let everything = Set(AccessFixture.topics)
        let allGroups = Set(AccessFixture.groups.map { "\($0.0)/\($0.1)" })
        let expected: [(TestUser?, Set<String>, Set<String>)] = [
            (nil, everything, allGroups),
            (users.ops, everything, allGroups),
            (users.alice, ["orders", "orders.eu"], []),
            (users.bob, ["orders", "orders.eu", "orders-archive"], ["orders/bob-1"]),
            (users.carol, ["audit"], ["audit/aud"]),
            (users.nameless, [], []),
            (users.stranger, [], []),
        ]
        for (user, topics, groups) in expected {
            let who = user?.description ?? "root"
            let topicList = try await daemon.expect(0, as: user, ["topic", "list", "--json"])
            let shownTopics = try #require(try topicList.result.json() as? [[String: Any]], "\(who): \(topicList.text)")
            #expect(Set(shownTopics.compactMap { $0["name"] as? String }) == topics, "\(who) sees \(topicList.result.out)")
            let groupList = try await daemon.expect(0, as: user, ["group", "list", "--json"])
            let shownGroups = try #require(try groupList.result.json() as? [[String: Any]], "\(who): \(groupList.text)")
            let names = Set(shownGroups.compactMap { entry in (entry["topic"] as? String).map { "\($0)/\(entry["group"] as? String ?? "?")" } })
            #expect(names == groups, "\(who) sees \(groupList.result.out)")
            // top shows the same topics and groups.
            let top = try await daemon.expect(0, as: user, ["top", "--json"])
            let snapshot = try #require(try top.result.json() as? [String: Any], "\(who): \(top.text)")
            let topTopics = (snapshot["topics"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(Set(topTopics ?? []) == topics, "\(who) sees \(top.result.out)")
            let topGroups = (snapshot["groups"] as? [[String: Any]])?.compactMap { entry in
                (entry["topic"] as? String).map { "\($0)/\(entry["group"] as? String ?? "?")" }
            }
            #expect(Set(topGroups ?? []) == groups, "\(who) sees \(top.result.out)")
        }
        // The daemon's own figures need a grant: top says so instead of showing them.
        try await daemon.expect(0, as: users.stranger, ["top"], says: ["(the daemon's own figures need an access grant)", "no topics"])
        let strangersTop = try await daemon.expect(0, as: users.stranger, ["top", "--json"])
        #expect((try strangersTop.result.json() as? [String: Any])?["daemon"] is NSNull, "\(strangersTop.text)")
        let rootsTop = try await daemon.expect(0, as: nil, ["top", "--json"])
        #expect((try rootsTop.result.json() as? [String: Any])?["daemon"] is [String: Any], "\(rootsTop.text)")
        // A topic's groups: only those the user may see.
        let bobsOrders = try await daemon.expect(0, as: users.bob, ["group", "list", "orders", "--json"])
        #expect((try bobsOrders.result.json() as? [[String: Any]])?.compactMap { $0["group"] as? String } == ["bob-1"])
        let opsOrders = try await daemon.expect(0, as: users.ops, ["group", "list", "orders", "--json"])
        #expect(Set((try opsOrders.result.json() as? [[String: Any]])?.compactMap { $0["group"] as? String } ?? []) == ["bob-1", "billing"])
        // The plain listings say there is nothing, the same way as on an empty daemon.
        try await daemon.expect(0, as: users.stranger, ["topic", "list"], says: ["no topics"])
        try await daemon.expect(0, as: users.alice, ["group", "list"], says: ["no groups"])
        #expect(await daemon.daemon.stop() == 0)
    }

    @Test func aHiddenTopicOrGroupIsRefusedExactlyLikeOneThatDoesNotExist() async throws {
        let users = try await AccessUsers.ensure()
        let daemon = try await AccessDaemon.start(config: AccessFixture.config())
        try await AccessFixture.populate(daemon)
        let (alice, bob, carol, stranger) = (users.alice, users.bob, users.carol, users.stranger)
        // (user, arguments naming what exists but is hidden, the same naming nothing, the name swapped)
        let missingTopic = "no-such-topic"
        let missingGroup = "no-such-group"
        let pairs: [(TestUser, [String], [String], String?)] = [
            (alice, ["topic", "describe", "payments"], ["topic", "describe", missingTopic], nil),
            (alice, ["consume", "payments", "--from", "earliest"], ["consume", missingTopic, "--from", "earliest"], nil),
            (alice, ["produce", "payments"], ["produce", missingTopic], "x\n"),
            (alice, ["topic", "delete", "payments"], ["topic", "delete", missingTopic], nil),
            (alice, ["group", "list", "payments"], ["group", "list", missingTopic], nil),
            (alice, ["group", "describe", "payments", "pay"], ["group", "describe", missingTopic, "pay"], nil),
            (alice, ["group", "describe", "orders", "billing"], ["group", "describe", "orders", missingGroup], nil),
            (bob, ["group", "describe", "orders", "billing"], ["group", "describe", "orders", missingGroup], nil),
            (bob, ["group", "reset", "orders", "billing", "--to-earliest"], ["group", "reset", "orders", missingGroup, "--to-earliest"], nil),
            (bob, ["group", "delete", "payments", "pay"], ["group", "delete", missingTopic, "pay"], nil),
            (bob, ["consume", "orders", "--group", "billing"], ["consume", "orders", "--group", missingGroup], nil),
            (carol, ["topic", "describe", "orders"], ["topic", "describe", missingTopic], nil),
            (carol, ["produce", "orders"], ["produce", missingTopic], "x\n"),
            (stranger, ["topic", "describe", "orders"], ["topic", "describe", missingTopic], nil),
            (stranger, ["group", "describe", "audit", "aud"], ["group", "describe", "audit", missingGroup], nil),
        ]
        for (user, hidden, missing, stdin) in pairs {
            let shown = try await daemon.run(user, hidden, stdin: stdin)
            let absent = try await daemon.run(user, missing, stdin: stdin)
            #expect(shown.status == 77 && absent.status == 77, "\(shown.command): \(shown.status); \(absent.command): \(absent.status)")
            // The same words, once the names that differ are put in the same place.
            let swapped = zip(hidden, missing).filter { $0 != $1 }
            var normalizedShown = shown.result.stderr
            var normalizedAbsent = absent.result.stderr
            for (index, (real, made)) in swapped.enumerated() {
                normalizedShown = normalizedShown.replacingName(real, with: "<name \(index)>")
                normalizedAbsent = normalizedAbsent.replacingName(made, with: "<name \(index)>")
            }
            #expect(
                normalizedShown == normalizedAbsent,
                "\(shown.command) and \(absent.command) differ:\n\(shown.result.stderr)\n\(absent.result.stderr)")
            #expect(shown.result.out.isEmpty && absent.result.out.isEmpty)
            #expect(!(shown.text + absent.text).contains("not_found"), "\(shown.text)\(absent.text)")
        }
        #expect(await daemon.daemon.stop() == 0)
    }
}
