import Logging

/// Pings the systemd watchdog only while the daemon is healthy, so that a daemon that is alive but stuck
/// (a wedged event loop, a storage call that never returns) is killed and restarted by systemd.
///
/// Every ``period``, half the ``interval``, it runs the health check, and sends `WATCHDOG=1` only when it returns
/// `true` within ``checkTimeout``. A check that returns `false`, or is still running, withholds the ping; a
/// check that returns `true` late does not ping either, and the next check starts at once. Pings resume
/// as soon as a check passes in time again. Between two pings there are thus at most ``period`` plus
/// ``checkTimeout`` (by default three quarters of the interval) while healthy.
///
/// ```swift
/// if let pinger = try WatchdogPinger.fromEnvironment(logger: logger, healthCheck: { await server.isHealthy() }) {
///     group.addTask { await pinger.run() }   // ends when the task is cancelled
/// }
/// ```
///
/// The check runs in the pinger's task: it should honour cancellation, or ``run()`` returns only when the
/// check does.
public struct WatchdogPinger: Sendable {
    /// The watchdog interval systemd enforces (`WatchdogSec=`).
    public let interval: Duration
    /// How long a check may take and still count.
    public let checkTimeout: Duration
    private let healthCheck: @Sendable () async -> Bool
    private let ping: @Sendable () -> Void
    private let logger: Logger

    /// How often the check runs: half the interval, as sd_watchdog_enabled(3) recommends.
    public var period: Duration { interval / 2 }

    /// Creates a pinger that notifies through `notifier`.
    ///
    /// - Parameters:
    ///   - interval: the watchdog interval, usually ``SystemdNotifier/watchdogInterval``.
    ///   - checkTimeout: how long a check may take and still count: by default half of ``period``;
    ///     values above ``period`` are reduced to it.
    ///   - notifier: where `WATCHDOG=1` goes.
    ///   - logger: where changes between healthy and unhealthy, and failed pings, are reported.
    ///   - healthCheck: returns whether the daemon can serve.
    public init(
        interval: Duration,
        checkTimeout: Duration? = nil,
        notifier: SystemdNotifier = SystemdNotifier(),
        logger: Logger = Logger(label: "immutad.watchdog"),
        healthCheck: @escaping @Sendable () async -> Bool
    ) {
        self.init(interval: interval, checkTimeout: checkTimeout, logger: logger, healthCheck: healthCheck) {
            do {
                try notifier.watchdog()
            } catch {
                logger.warning("could not ping the systemd watchdog", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Creates a pinger that calls `ping` instead of notifying systemd, for tests.
    package init(
        interval: Duration,
        checkTimeout: Duration?,
        logger: Logger,
        healthCheck: @escaping @Sendable () async -> Bool,
        ping: @escaping @Sendable () -> Void
    ) {
        precondition(interval > .zero, "the watchdog interval must be positive, not \(interval)")
        self.interval = interval
        self.checkTimeout = min(checkTimeout ?? interval / 4, interval / 2)
        self.healthCheck = healthCheck
        self.ping = ping
        self.logger = logger
    }

    /// A pinger for the interval systemd set (WATCHDOG_USEC), or `nil` when the watchdog is not enabled.
    public static func fromEnvironment(
        notifier: SystemdNotifier = SystemdNotifier(),
        logger: Logger = Logger(label: "immutad.watchdog"),
        healthCheck: @escaping @Sendable () async -> Bool
    ) throws(SystemdError) -> WatchdogPinger? {
        guard let interval = try notifier.watchdogInterval else { return nil }
        return WatchdogPinger(interval: interval, notifier: notifier, logger: logger, healthCheck: healthCheck)
    }

    /// Checks and pings until the task is cancelled.
    public func run() async {
        let clock = ContinuousClock()
        var previous = Health.healthy
        var next = clock.now
        while !Task.isCancelled {
            let started = clock.now
            let passed = await healthCheck()
            let took = started.duration(to: clock.now)
            if Task.isCancelled { return }
            let health: Health = !passed ? .failing : took > checkTimeout ? .late : .healthy
            if health == .healthy {
                ping()
            }
            report(health, after: previous, took: took)
            previous = health
            // The next check starts one period after this one was due, or at once when this one overran it.
            next = max(next + period, clock.now)
            do {
                try await clock.sleep(until: next)
            } catch {
                return
            }
        }
    }

    private enum Health {
        case healthy, failing, late
    }

    private func report(_ health: Health, after previous: Health, took: Duration) {
        guard health != previous else { return }
        switch health {
        case .healthy:
            logger.notice("health check passed again: pinging the systemd watchdog")
        case .failing:
            logger.warning(
                "health check failed: not pinging the systemd watchdog, which restarts immutad when it runs out",
                metadata: ["watchdog_interval": "\(interval)"]
            )
        case .late:
            logger.warning(
                "health check too slow: not pinging the systemd watchdog, which restarts immutad when it runs out",
                metadata: ["took": "\(took)", "limit": "\(checkTimeout)", "watchdog_interval": "\(interval)"]
            )
        }
    }
}
