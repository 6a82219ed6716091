/// How a client rides out a lost connection, such as a restart of immutad (`systemctl restart
/// immuta`, under which the socket unit keeps the listening socket, so clients that connect
/// meanwhile wait in its backlog).
///
/// What reconnects:
/// - an ``ImmutaSubscription`` subscribes again from the offset after the last record it
///   returned: no record is skipped and none is returned twice;
/// - a ``GroupConsumer`` joins its group again; what it held unacknowledged is delivered again
///   (possibly to another member), and acks buffered for the lost connection are dropped;
/// - an ``ImmutaProducer`` resends its unanswered batches under their sequence numbers, so each
///   lands once;
/// - any other request waits for the new connection when it is made after the loss. A request
///   that was in flight when the connection was lost fails with an error whose
///   ``ImmutaError/needsReconnect`` is true: whether the daemon carried it out is unknown, so it
///   is not sent again (reads can simply be repeated).
///
/// Attempts back off from ``initialDelay``, doubling up to ``maxDelay``, each pause cut by up to
/// half at random so that many clients do not knock at once. After ``timeout`` without a working
/// connection the work fails with a connection-lost error that says so.
public struct ReconnectPolicy: Sendable {
    /// Whether to reconnect at all.
    public var isEnabled: Bool
    /// How long to keep trying before giving up (default 30 s).
    public var timeout: Duration
    /// The first pause between attempts (default 50 ms).
    public var initialDelay: Duration
    /// The longest pause between attempts (default 2 s).
    public var maxDelay: Duration
    /// Told when a connection is lost and when work resumes on a new one (for example, to say
    /// so on standard error): by each subscription, group member and producer for itself, and
    /// by the client when a request of its own finds the connection lost. Called from the task
    /// that reconnects; keep it short.
    public var onEvent: (@Sendable (ReconnectEvent) -> Void)?

    /// Creates an enabled policy.
    public init(
        timeout: Duration = .seconds(30), initialDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(2),
        onEvent: (@Sendable (ReconnectEvent) -> Void)? = nil
    ) {
        isEnabled = true
        self.timeout = timeout
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.onEvent = onEvent
    }

    /// Reconnects with the defaults.
    public static var standard: ReconnectPolicy { ReconnectPolicy() }

    /// Never reconnects: a lost connection ends subscriptions and memberships with its error.
    public static var disabled: ReconnectPolicy {
        var policy = ReconnectPolicy()
        policy.isEnabled = false
        return policy
    }
}

/// What a reconnecting client reports through ``ReconnectPolicy/onEvent``.
public enum ReconnectEvent: Sendable, Hashable {
    /// The connection was lost, or immutad said it is shutting down; reconnecting.
    case lost(reason: String)
    /// Work goes on over a new connection, `after` the loss. `offset` is where a subscription
    /// (or a FETCH from an offset) resumes, or a group's committed offset when its member joined
    /// again (the group delivers from there); nil for a producer and other requests.
    case resumed(after: Duration, offset: UInt64?)
}

/// The pauses between reconnection attempts: doubling from the policy's first delay to its
/// longest, each one cut by up to half at random (jitter).
struct ReconnectBackoff {
    private var next: Duration
    private let longest: Duration

    init(_ policy: ReconnectPolicy) {
        next = policy.initialDelay
        longest = policy.maxDelay
    }

    mutating func pause() -> Duration {
        let pause = next * Double.random(in: 0.5...1.0)
        next = min(next * 2, longest)
        return pause
    }
}
