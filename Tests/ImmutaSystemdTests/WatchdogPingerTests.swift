import ImmutaLocks
import ImmutaSystemd
import Logging
import Synchronization
import ImmutaTestSupport
import Testing

@Suite("WatchdogPinger", .timeLimit(.minutes(5)))
struct WatchdogPingerTests {
    enum Event: Equatable {
        case checkStarted(Int)
        /// The check is suspended and waits for ``HealthScript/release(_:)``.
        case hanging(Int)
        case checkFinished(Int, Bool)
        case ping
    }

    enum Mode {
        case healthy, failing, hanging
    }

    /// A health check the test steers, and a record of everything the pinger did, in order.
    final class HealthScript: Sendable {
        private struct State {
            var mode = Mode.healthy
            var checks = 0
            var starts: [Int: ContinuousClock.Instant] = [:]
            var events: [Event] = []
            var hung: CheckedContinuation<Bool, Never>?
        }

        private let state = Locked(State())
        let events: AsyncStream<Event>
        private let continuation: AsyncStream<Event>.Continuation

        init() {
            (events, continuation) = AsyncStream.makeStream(of: Event.self)
        }

        var log: [Event] { state.withLock { $0.events } }
        var mode: Mode {
            get { state.withLock { $0.mode } }
            set { state.withLock { $0.mode = newValue } }
        }

        func startTime(of check: Int) -> ContinuousClock.Instant? {
            state.withLock { $0.starts[check] }
        }

        func check() async -> Bool {
            let (id, mode) = state.withLock { state in
                state.checks += 1
                state.starts[state.checks] = .now
                return (state.checks, state.mode)
            }
            record(.checkStarted(id))
            let result: Bool
            switch mode {
            case .healthy: result = true
            case .failing: result = false
            case .hanging:
                result = await withCheckedContinuation { hung in
                    state.withLock { $0.hung = hung }
                    record(.hanging(id))
                }
            }
            record(.checkFinished(id, result))
            return result
        }

        func ping() {
            record(.ping)
        }

        /// Lets the hanging check return `result`.
        func release(_ result: Bool) {
            state.withLock { state in
                state.hung?.resume(returning: result)
                state.hung = nil
            }
        }

        private func record(_ event: Event) {
            state.withLock { $0.events.append(event) }
            continuation.yield(event)
        }
    }

    private static let quiet = Logger(label: "watchdog-test") { _ in SwiftLogNoOpLogHandler() }

    @Test(
        "pings every half interval while healthy, none while failing or hanging, and again after",
        .timeLimit(.minutes(1))
    )
    func pingsOnlyWhileHealthy() async throws {
        let script = HealthScript()
        let pinger = WatchdogPinger(
            interval: .milliseconds(200),
            checkTimeout: nil,
            logger: Self.quiet,
            healthCheck: { await script.check() },
            ping: { script.ping() }
        )
        #expect(pinger.period == .milliseconds(100))
        #expect(pinger.checkTimeout == .milliseconds(50))
        let running = Task { await pinger.run() }
        var events = script.events.makeAsyncIterator()

        // Healthy: three pings.
        var pings = 0
        while pings < 3, let event = await events.next() {
            if event == .ping { pings += 1 }
        }
        // Failing: three checks that fail.
        script.mode = .failing
        var failures = 0
        while failures < 3, let event = await events.next() {
            if case .checkFinished(_, false) = event { failures += 1 }
        }
        // Hanging: hold a check past its timeout, then let it pass, late.
        script.mode = .hanging
        var hungCheck = 0
        while hungCheck == 0, let event = await events.next() {
            if case .hanging(let id) = event { hungCheck = id }
        }
        let hungSince = try #require(script.startTime(of: hungCheck))
        try await Task.sleep(until: hungSince + pinger.checkTimeout + .milliseconds(20))
        script.mode = .healthy
        script.release(true)
        // Recovered: the next check pings again.
        while let event = await events.next(), event != .ping {}

        running.cancel()
        await running.value

        let log = script.log
        // Every ping follows a check that passed, and not the one that passed late.
        for (index, event) in log.enumerated() where event == .ping {
            guard index > 0, case .checkFinished(let id, true) = log[index - 1] else {
                Issue.record("ping at \(index) does not follow a passing check: \(log)")
                continue
            }
            #expect(id != hungCheck, "the late check pinged: \(log)")
        }
        // No ping from the first failure until the hung check has returned, and one after it.
        let firstFailure = try #require(
            log.firstIndex { if case .checkFinished(_, false) = $0 { true } else { false } }
        )
        let hungFinished = try #require(log.firstIndex(of: .checkFinished(hungCheck, true)))
        #expect(!log[firstFailure...hungFinished].contains(.ping), "\(log)")
        #expect(log[hungFinished...].contains(.ping))
        #expect(log.contains(.checkStarted(hungCheck + 1)), "a new check must follow the late one: \(log)")

        // Checks are a period apart: never sooner than the schedule, and not much later on an idle machine.
        let first = try #require(script.startTime(of: 1))
        let third = try #require(script.startTime(of: 3))
        #expect(first.duration(to: third) >= pinger.period * 2 - .milliseconds(5))
        // (The upper bound leaves room for a loaded 2-core runner, which overshot 1 s once.)
        #expect(first.duration(to: third) < pinger.period * 2 + TestBudget.time(.seconds(3)))
    }

    @Test("the check timeout defaults to half the period and never exceeds the period")
    func checkTimeout() {
        let defaulted = WatchdogPinger(interval: .seconds(30), healthCheck: { true })
        #expect(defaulted.period == .seconds(15))
        #expect(defaulted.checkTimeout == .milliseconds(7500))
        let clamped = WatchdogPinger(interval: .seconds(30), checkTimeout: .seconds(60), healthCheck: { true })
        #expect(clamped.checkTimeout == .seconds(15))
    }

    @Test("cancelling stops the pinger while it waits for the next check", .timeLimit(.minutes(1)))
    func cancellation() async {
        let script = HealthScript()
        let pinger = WatchdogPinger(
            interval: .seconds(3600),
            checkTimeout: nil,
            logger: Self.quiet,
            healthCheck: { await script.check() },
            ping: { script.ping() }
        )
        let running = Task { await pinger.run() }
        var events = script.events.makeAsyncIterator()
        while let event = await events.next(), event != .ping {}
        running.cancel()
        await running.value
        #expect(script.log == [.checkStarted(1), .checkFinished(1, true), .ping])
    }

    @Test("without WATCHDOG_USEC there is no pinger")
    func notEnabled() throws {
        // The test process is not a service with a watchdog (the notifier tests set WATCHDOG_USEC in children).
        #expect(try WatchdogPinger.fromEnvironment(healthCheck: { true }) == nil)
    }
}
