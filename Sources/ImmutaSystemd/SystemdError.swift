/// An error from the systemd integration: a notification that could not be sent, an inherited socket of the
/// wrong kind, a malformed watchdog or logging setting.
///
/// The ``code`` says which kind of failure it is and is stable; ``message`` says what happened, to which
/// object, and what to do, and is meant for the operator.
///
/// ```swift
/// do {
///     let sockets = try SystemdNotifier().listenedSockets()
/// } catch let error where error.code == .unsupportedSocket {
///     print(error)   // fd 3 ("immuta.socket") passed by systemd is not …
/// }
/// ```
public struct SystemdError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String

        private init(_ description: String) {
            self.description = description
        }

        /// sd_notify failed to send a state change to the service manager.
        public static let notifyFailed = Code("notifyFailed")
        /// WATCHDOG_USEC or WATCHDOG_PID is malformed.
        public static let invalidWatchdogSetting = Code("invalidWatchdogSetting")
        /// LISTEN_FDS, LISTEN_PID or LISTEN_FDNAMES is malformed, or the descriptors could not be examined.
        public static let socketActivationFailed = Code("socketActivationFailed")
        /// A descriptor passed by socket activation is not an AF_UNIX stream socket in the listening state.
        public static let unsupportedSocket = Code("unsupportedSocket")
        /// A log level name is not one of trace, debug, info, notice, warning, error, critical.
        public static let invalidLogLevel = Code("invalidLogLevel")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and what to do about it.
    public let message: String
    /// The errno reported by libsystemd, when there was one.
    public let errno: Int32?

    /// Creates an error. `errno` is positive, as in `Glibc.errno`.
    public init(code: Code, message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        guard let errno else { return message }
        return "\(message) (\(errnoName(errno)))"
    }
}
