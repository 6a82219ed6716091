import Testing

@testable import ImmutaServer

/// The audit log's bound on one user's denials.
@Suite struct DenialThrottleTests {
    @Test func eachUserGetsItsOwnAllowanceAndHearsHowManyWereLeftOut() {
        let throttle = DenialThrottle(perSecond: 3)
        for second: Int64 in [10, 11, 12] {
            var logged = 0
            for _ in 0..<50 where throttle.admit(uid: 1001, second: second).log { logged += 1 }
            #expect(logged == 3, "second \(second)")
            // Another user is not held back by the first one's flood.
            #expect(throttle.admit(uid: 1002, second: second).log)
        }
        // The first entry of a new second reports the 47 left out in the last one.
        let next = throttle.admit(uid: 1001, second: 13)
        #expect(next.log && next.suppressed == 47)
        #expect(throttle.admit(uid: 1001, second: 13).suppressed == 0)
    }

    @Test func manyUsersStayBounded() {
        let throttle = DenialThrottle(perSecond: 1)
        for uid in UInt32(0)..<20_000 { _ = throttle.admit(uid: uid, second: Int64(uid / 1000)) }
        // Users of earlier seconds are forgotten; every admit still answers.
        #expect(throttle.admit(uid: 5, second: 100).log)
    }
}
