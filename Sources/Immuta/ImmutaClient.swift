import ImmutaLocks
import ImmutaProtocol
import NIOCore
import NIOPosix
import Synchronization

/// A connection to immutad over its Unix socket. Every method may be called concurrently: the
/// requests are pipelined on the one connection and matched to their responses by id.
///
/// When the connection is lost (immutad restarts, say), the client opens a new one as its
/// ``ReconnectPolicy`` says: subscriptions and group members carry on by themselves, and a
/// request made after the loss waits for the new connection. A request that was in flight
/// when it was lost fails (``ImmutaError/needsReconnect``), since whether the daemon carried it
/// out is unknown; ``ImmutaProducer`` is the way to produce without losing or duplicating a batch.
///
/// ```swift
/// let client = try await ImmutaClient.connect(socketPath: "./immuta.sock")
/// try await client.createTopic("orders")
/// let produced = try await client.produce("orders", [Array("hello".utf8)])
/// for try await record in try await client.subscribe("orders", from: .earliest) {
///     print(record.offset, record.string)
/// }
/// ```
public final class ImmutaClient: Sendable {
    let socketPath: String
    let clientName: String
    let eventLoopGroup: any EventLoopGroup
    /// What the client does when its connection is lost (see ``ReconnectPolicy``).
    public let reconnectPolicy: ReconnectPolicy
    let link: Locked<Link>
    private let requestIDs: RequestIDs

    /// The connection in use and the reconnection under way, if any.
    struct Link {
        var current: ClientConnection
        var reconnecting: Task<ClientConnection, any Error>?
        var closed = false
    }

    /// The server's name and version, from HELLO.
    public var serverVersion: String { connection.serverVersion }
    /// The largest frame the server accepts.
    public var maxFrameLength: Int { connection.maxFrameLength }
    /// The server's default largest record.
    public var defaultMaxRecordBytes: UInt64 { connection.defaultMaxRecordBytes }

    private init(
        socketPath: String, clientName: String, group: any EventLoopGroup, reconnect: ReconnectPolicy,
        first: ClientConnection, requestIDs: RequestIDs
    ) {
        self.socketPath = socketPath
        self.clientName = clientName
        eventLoopGroup = group
        reconnectPolicy = reconnect
        link = Locked(Link(current: first))
        self.requestIDs = requestIDs
    }

    /// Connects and exchanges HELLO. A daemon that cannot be reached now fails this at once;
    /// `reconnect` governs what happens when the connection is lost later.
    ///
    /// - Parameters:
    ///   - socketPath: immutad's socket, e.g. `/run/immuta/immuta.sock`.
    ///   - clientName: shown by the daemon in its logs and in group descriptions.
    ///   - group: the event loops to use (default: NIO's shared singleton).
    ///   - reconnect: whether and for how long subscriptions, group members and later requests
    ///     reconnect after a lost connection or a daemon restart (default: for up to 30 s;
    ///     ``ReconnectPolicy/disabled`` to fail at once, as a plain socket would).
    ///   - helloTimeout: how long to wait for the daemon's answer to HELLO (default: for ever). A
    ///     socket that systemd holds takes the connection even while no daemon runs, or while one
    ///     is still recovering its topics, so the connect alone proves nothing.
    public static func connect(
        socketPath: String, clientName: String = defaultClientName,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, reconnect: ReconnectPolicy = .standard,
        helloTimeout: Duration? = nil
    ) async throws -> ImmutaClient {
        try await connect(
            socketPath: socketPath, clientName: clientName, group: group, reconnect: reconnect,
            helloDeadline: helloTimeout.map { .now + $0 })
    }

    /// ``connect(socketPath:clientName:group:reconnect:)``, giving up on a daemon that has not
    /// answered HELLO by `helloDeadline`.
    static func connect(
        socketPath: String, clientName: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        reconnect: ReconnectPolicy, helloDeadline: ContinuousClock.Instant?
    ) async throws -> ImmutaClient {
        let requestIDs = RequestIDs()
        let first = try await ClientConnection.open(
            socketPath: socketPath, clientName: clientName, group: group, requestID: requestIDs.make(), deadline: helloDeadline)
        return ImmutaClient(
            socketPath: socketPath, clientName: clientName, group: group, reconnect: reconnect, first: first,
            requestIDs: requestIDs)
    }

    /// The name sent in HELLO by default: the program's name.
    public static var defaultClientName: String {
        String(CommandLine.arguments.first?.split(separator: "/").last ?? "immuta-client")
    }

    /// Closes the connection. Pending requests fail with a connection-closed error, and the
    /// client does not reconnect any more.
    public func close() async {
        let (current, reconnecting) = link.withLock { link in
            link.closed = true
            return (link.current, link.reconnecting)
        }
        reconnecting?.cancel()
        await current.close()
    }

    /// The connection in use (possibly one that was lost and not yet replaced).
    var connection: ClientConnection { link.withLock { $0.current } }

    func makeRequestID() -> UInt32 { requestIDs.make() }

    /// Sends a request and waits for its response; an ERROR response throws ``ImmutaError``.
    /// A request made once the connection is lost waits for a new one (when the policy allows).
    func send(_ request: Request, id: UInt32? = nil, sink: SubscriptionSink? = nil) async throws -> Response {
        let connection = try await usableConnection(for: request)
        return try await connection.send(request, id: id ?? makeRequestID(), sink: sink)
    }

    /// The connection for a new request: the current one while it works, else (when the policy
    /// allows) a new one, announced to the policy's `onEvent` (with the offset a FETCH resumes at).
    func usableConnection(for request: Request? = nil) async throws -> ClientConnection {
        let current = connection
        guard !current.isUsable, reconnectPolicy.isEnabled else { return current }
        var resumeOffset: UInt64?
        if case .fetch(_, .offset(let offset), _, _, _) = request { resumeOffset = offset }
        return try await reconnect(after: current, announcing: true, resumeOffset: resumeOffset)
    }

    /// Round-trip time of a PING.
    public func ping() async throws -> Duration {
        let start = ContinuousClock.now
        _ = try await send(.ping)
        return ContinuousClock.now - start
    }

    /// The daemon's counters (`uptime_ms`, `connections`, `records_produced`, …).
    public func stats() async throws -> [String: Int64] {
        guard case .stats(let entries) = try await send(.stats) else { throw unexpected("STATS") }
        return Dictionary(entries.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    func unexpected(_ what: String) -> ImmutaError {
        ImmutaError(code: .malformedFrame, message: "unexpected response to \(what)")
    }
}

/// The client's request ids: unique across its connections, never 0 (the id of connection-level
/// errors).
final class RequestIDs: Sendable {
    private let next = Atomic<UInt32>(1)

    func make() -> UInt32 {
        var id = next.wrappingAdd(1, ordering: .relaxed).oldValue
        if id == 0 { id = next.wrappingAdd(1, ordering: .relaxed).oldValue }
        return id
    }
}
