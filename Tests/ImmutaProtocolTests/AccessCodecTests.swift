import ImmutaProtocol

/// Several values of every access request and response, with edge values.
let sampleAccessRequests: [Request] = [
    .access(.check(user: "", operation: "produce", topic: "orders", group: "")),
    .access(.check(user: "alice", operation: "consume", topic: "orders.eu", group: "billing")),
    .access(.check(user: "ユーザー", operation: "", topic: "", group: "🚀")),
    .access(.connections),
]

/// Computed, not stored: a global holding these responses kept their arrays behind enum-tagged
/// pointers that LeakSanitizer cannot follow, and it reported them as leaked at the runner's exit.
var sampleAccessResponses: [Response] {
        [
        .access(.decision(allowed: true, subject: "user alice (uid 1001)", explanation: "allowed by grant 1")),
        .access(.decision(allowed: false, subject: "", explanation: "")),
        .access(.connections([])),
        .access(
            .connections([
                WireConnection(
                    id: 7, pid: 4711, uid: 1001, gid: 1001, user: "alice", groups: ["alice(1001)", "web(1002)"], clientName: "immutactl",
                    connectedAt: 1_700_000_000_000, isSelf: true),
                WireConnection(
                    id: .max, pid: .min, uid: .max, gid: 0, user: "", groups: [], clientName: "", connectedAt: .min, isSelf: false),
            ])),
    ]
}
