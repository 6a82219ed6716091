import CSystemd
import Glibc

/// The daemon's side of the service-manager protocol: readiness and status notifications, the watchdog,
/// socket activation and journal detection. It is the one wrapper over libsystemd's sd-daemon calls.
///
/// Every call reads the environment systemd set up (NOTIFY_SOCKET, WATCHDOG_USEC, LISTEN_FDS,
/// JOURNAL_STREAM) at the time of the call, and is harmless when that variable is absent: notifications
/// return `false` and are not sent, so the same code runs under systemd and from a shell.
/// NOTIFY_SOCKET may name a filesystem path or an abstract socket (`@name`); libsystemd handles both.
///
/// ```swift
/// let notifier = SystemdNotifier()
/// let listeners = try notifier.listenedSockets()   // [] when not socket-activated
/// // … open topics, start serving …
/// try notifier.ready()
/// try notifier.status("serving 12 topics")
/// // on SIGHUP:
/// try notifier.reloading()
/// // … re-read the configuration …
/// try notifier.ready()
/// // on SIGTERM:
/// try notifier.stopping()
/// ```
public struct SystemdNotifier: Sendable {
    /// Creates a notifier. It holds no state: the environment is read on every call.
    public init() {}

    /// Whether NOTIFY_SOCKET is set, that is whether notifications will be sent anywhere.
    public var isEnabled: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// Tells the service manager that start-up is complete (`READY=1`). With `Type=notify`, systemd
    /// considers the service started, and starts the units ordered after it, only once this arrives.
    /// Also send it when a reload has completed.
    ///
    /// - Returns: whether the notification was sent (`false` when NOTIFY_SOCKET is not set).
    @discardableResult
    public func ready() throws(SystemdError) -> Bool {
        try notify("READY=1")
    }

    /// Sets the free-form status line shown by `systemctl status` (`STATUS=…`). Newlines are replaced by
    /// spaces because the protocol is line-based.
    @discardableResult
    public func status(_ text: String) throws(SystemdError) -> Bool {
        let oneLine = String(text.map { $0.isNewline ? " " : $0 })
        return try notify("STATUS=\(oneLine)")
    }

    /// Tells the service manager that the daemon is reloading its configuration. Send ``ready()`` when the
    /// reload is complete. The message carries `MONOTONIC_USEC`, the CLOCK_MONOTONIC time in microseconds,
    /// which `Type=notify-reload` (systemd 253 and later) needs to match the reload with its request.
    @discardableResult
    public func reloading() throws(SystemdError) -> Bool {
        try notify("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// Tells the service manager that the daemon is shutting down (`STOPPING=1`).
    @discardableResult
    public func stopping() throws(SystemdError) -> Bool {
        try notify("STOPPING=1")
    }

    /// Pings the service manager's watchdog (`WATCHDOG=1`). Send it at least once per
    /// ``watchdogInterval`` (``WatchdogPinger`` does that behind a health check), or systemd kills and,
    /// with `Restart=on-failure`, restarts the service.
    @discardableResult
    public func watchdog() throws(SystemdError) -> Bool {
        try notify("WATCHDOG=1")
    }

    /// Sends a raw state string: newline-separated `KEY=VALUE` assignments as documented in sd_notify(3).
    @discardableResult
    public func notify(_ state: String) throws(SystemdError) -> Bool {
        let result = sd_notify(0, state)
        if result < 0 {
            throw SystemdError(
                code: .notifyFailed,
                message: "could not send \"\(state.prefix { $0 != "\n" })\" to the service manager at "
                    + "NOTIFY_SOCKET=\(Self.environment("NOTIFY_SOCKET")); check that the socket exists and that "
                    + "NotifyAccess= allows this process",
                errno: -result
            )
        }
        return result > 0
    }

    /// How often the service manager expects ``watchdog()`` (`WatchdogSec=`), or `nil` when the watchdog
    /// is not enabled for this process. Send pings at half this interval.
    public var watchdogInterval: Duration? {
        get throws(SystemdError) {
            var microseconds: UInt64 = 0
            let result = sd_watchdog_enabled(0, &microseconds)
            if result < 0 {
                throw SystemdError(
                    code: .invalidWatchdogSetting,
                    message: "WATCHDOG_USEC=\(Self.environment("WATCHDOG_USEC")) or WATCHDOG_PID="
                        + "\(Self.environment("WATCHDOG_PID")) is malformed; check WatchdogSec= in the unit",
                    errno: -result
                )
            }
            guard result > 0 else { return nil }
            return .microseconds(Int64(clamping: microseconds))
        }
    }

    /// Whether standard error is connected to the journal: JOURNAL_STREAM is set and names the device and
    /// inode of file descriptor 2, as systemd.exec(5) recommends checking. A process started from a
    /// service's shell with its standard error redirected inherits JOURNAL_STREAM but is not under the
    /// journal, and gets `false`.
    public var isUnderJournal: Bool {
        guard let value = getenv("JOURNAL_STREAM") else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return Self.journalStream(
            String(cString: value),
            matchesDevice: UInt64(status.st_dev),
            inode: UInt64(status.st_ino)
        )
    }

    /// Whether a JOURNAL_STREAM value (`DEVICE:INODE`, both decimal) names the given device and inode.
    package static func journalStream(_ value: String, matchesDevice device: UInt64, inode: UInt64) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let expectedDevice = UInt64(parts[0]), let expectedInode = UInt64(parts[1]) else {
            return false
        }
        return expectedDevice == device && expectedInode == inode
    }

    /// The current CLOCK_MONOTONIC time in microseconds, the clock systemd uses for MONOTONIC_USEC.
    package static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    static func environment(_ name: String) -> String {
        getenv(name).map { String(cString: $0) } ?? "(unset)"
    }
}

/// The symbolic description of an errno value, for error messages.
func errnoName(_ number: Int32) -> String {
    String(cString: strerror(number))
}
