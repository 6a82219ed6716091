import ImmutaServer
import Testing

/// Decisions of the access rules, over identities built by hand (no user database involved).
@Suite struct AccessPolicyTests {
    static let alice = ClientIdentity(
        uid: 1001, gid: 1001, pid: 10, userName: "alice", groupIDs: [1001, 2000], groupNames: [1001: "alice", 2000: "web"])
    static let bob = ClientIdentity(uid: 1002, gid: 1002, pid: 11, userName: "bob", groupIDs: [1002], groupNames: [1002: "bob"])
    static let nameless = ClientIdentity(uid: 54321, gid: 54321, pid: 12, userName: nil, groupIDs: [54321], groupNames: [:])

    static let policy = AccessPolicy(grants: [
        AccessGrant(label: "grant \"web\"", subjects: [.groupName("web")], operations: [.produce], topics: [NamePattern("orders"), NamePattern("orders.*")]),
        AccessGrant(
            label: "grant \"bob reads\"", subjects: [.userName("bob")], operations: [.consume], topics: [NamePattern("orders*")],
            consumerGroups: [NamePattern("bob-*")]),
        AccessGrant(label: "grant \"by id\"", subjects: [.uid(54321), .gid(2000)], operations: [.consume], topics: [NamePattern("metrics-202?-[0-9]*")]),
        AccessGrant(label: "grant \"ops\"", subjects: [.userName("bob")], operations: [.admin], topics: [NamePattern("scratch.*")]),
        AccessGrant(label: "grant \"everyone\"", subjects: [.anyone], operations: [.produce], topics: [NamePattern("public")]),
    ])

    struct Case: Sendable, CustomTestStringConvertible {
        var who: ClientIdentity
        var operation: AccessOperation
        var topic: String
        var group: String?
        var allowed: Bool
        var says: String
        var testDescription: String { "\(who) \(operation) \(topic) \(group ?? "-") → \(allowed)" }
    }

    static let cases: [Case] = [
        // A supplementary group grants, for the exact name and the prefix glob only.
        Case(who: alice, operation: .produce, topic: "orders", allowed: true, says: "grant \"web\""),
        Case(who: alice, operation: .produce, topic: "orders.eu", allowed: true, says: "as group web"),
        Case(who: alice, operation: .produce, topic: "ordersx", allowed: false, says: "covers topics orders, orders.*, not ordersx"),
        Case(who: alice, operation: .produce, topic: "payments", allowed: false, says: "may not produce to topic payments"),
        Case(who: alice, operation: .consume, topic: "orders", allowed: false, says: "does not include consume"),
        Case(who: alice, operation: .admin, topic: "orders", allowed: false, says: "may not administer topic orders"),
        // Plain consume needs the topic only; in a group, the group pattern too.
        Case(who: bob, operation: .consume, topic: "orders", allowed: true, says: "grant \"bob reads\""),
        Case(who: bob, operation: .consume, topic: "ordersx", group: "bob-1", allowed: true, says: "as user bob"),
        Case(who: bob, operation: .consume, topic: "orders", group: "billing", allowed: false, says: "covers groups bob-*, not billing"),
        Case(who: bob, operation: .produce, topic: "orders", allowed: false, says: "does not include produce"),
        Case(who: bob, operation: .admin, topic: "scratch.tmp", allowed: true, says: "grant \"ops\""),
        Case(who: bob, operation: .admin, topic: "scratch", allowed: false, says: "covers topics scratch.*, not scratch"),
        // A numeric uid for a user without a name; a numeric gid; character classes and `?`.
        Case(who: nameless, operation: .consume, topic: "metrics-2026-1", allowed: true, says: "as uid 54321"),
        Case(who: nameless, operation: .consume, topic: "metrics-2026-x", allowed: false, says: "uid 54321 may not consume"),
        Case(who: alice, operation: .consume, topic: "metrics-2027-9", allowed: true, says: "as gid 2000"),
        // Everyone, and nobody else.
        Case(who: nameless, operation: .produce, topic: "public", allowed: true, says: "every user"),
        Case(who: nameless, operation: .produce, topic: "orders", allowed: false, says: "does not include produce"),
        Case(
            who: ClientIdentity(uid: 7, gid: 7, pid: 1, userName: "lp", groupIDs: [7], groupNames: [7: "lp"]), operation: .consume,
            topic: "orders", allowed: false, says: "grant \"everyone\" does not include consume"),
    ]

    @Test(arguments: cases)
    func decisionsAndTheirExplanations(_ check: Case) throws {
        let decision = Self.policy.decide(check.who, check.operation, topic: check.topic, group: check.group)
        #expect(decision.allowed == check.allowed, "\(decision.explanation)")
        #expect(decision.explanation.contains(check.says), "\(decision.explanation)")
        #expect(Self.policy.allows(check.who, check.operation, topic: check.topic, group: check.group) == check.allowed)
        if check.allowed {
            try Self.policy.require(check.who, check.operation, topic: check.topic, group: check.group)
        } else {
            #expect(throws: (any Error).self) { try Self.policy.require(check.who, check.operation, topic: check.topic, group: check.group) }
        }
    }

    @Test func aUserNoGrantNamesIsToldSo() {
        let policy = AccessPolicy(grants: Array(Self.policy.grants.dropLast()))
        let decision = policy.decide(Self.bob, .produce, topic: "public")
        #expect(!decision.allowed)
        #expect(decision.explanation == "user bob (uid 1002) may not produce to topic public: grant \"bob reads\" does not include produce; grant \"ops\" does not include produce")
        let stranger = ClientIdentity(uid: 4242, gid: 4242, pid: 1, userName: nil, groupIDs: [4242], groupNames: [:])
        #expect(
            policy.decide(stranger, .consume, topic: "orders").explanation
                == "uid 4242 may not consume topic orders: no grant names the user or its groups (4242)")
    }

    @Test func rootMayDoEverythingWithoutAGrant() {
        let root = ClientIdentity(uid: 0, gid: 0, pid: 1, userName: "root", groupIDs: [0], groupNames: [0: "root"])
        for operation in AccessOperation.allCases {
            let decision = AccessPolicy().decide(root, operation, topic: "anything", group: "any")
            #expect(decision.allowed)
            #expect(decision.explanation.contains("is root"))
        }
        #expect(AccessPolicy().administersEverything(root))
    }

    @Test func visibilityFollowsTheGrants() {
        let policy = Self.policy
        #expect(policy.maySee(Self.alice, topic: "orders"))
        #expect(!policy.maySee(Self.alice, topic: "payments"))
        #expect(policy.maySee(Self.bob, topic: "orders", group: "bob-2"))
        #expect(!policy.maySee(Self.bob, topic: "orders", group: "billing"))
        #expect(policy.maySee(Self.bob, topic: "scratch.x", group: "billing"), "admin of the topic sees every group")
        #expect(!policy.administersEverything(Self.bob))
        #expect(policy.grantsAnything(to: Self.nameless), "the grant to every user applies")
        #expect(!AccessPolicy().grantsAnything(to: Self.alice))
    }

    @Test func theLowestLimitOfTheMatchingRulesApplies() {
        let policy = AccessPolicy(limits: [
            IdentityLimitRule(label: "\"web\"", subjects: [.groupName("web")], maxConnections: 10, maxTopics: 3),
            IdentityLimitRule(label: "\"alice\"", subjects: [.userName("alice")], maxConnections: 4),
            IdentityLimitRule(label: "\"all\"", subjects: [.anyone], maxGroups: 7),
        ])
        let alice = policy.limits(for: Self.alice)
        #expect(alice.maxConnections?.value == 4)
        #expect(alice.maxConnections?.key == "access.limits \"alice\".max_connections")
        #expect(alice.maxTopics?.value == 3)
        #expect(alice.maxGroups?.value == 7)
        #expect(alice.maxQueuedReplyBytes == nil)
        let bob = policy.limits(for: Self.bob)
        #expect(bob.maxConnections == nil && bob.maxTopics == nil && bob.maxGroups?.value == 7)
    }
}
