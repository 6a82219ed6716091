import ImmutaLocks
import ImmutaProtocol
import NIOCore
import NIOPosix
import Synchronization

/// A connection to immutad over its Unix socket. Every method may be called concurrently: the
/// requests are pipelined on the one connection and matched to their responses by id.
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
    let channel: any Channel
    let handler: NIOLoopBound<ClientHandler>
    private let nextID = Atomic<UInt32>(1)

    /// The server's name and version, from HELLO.
    public let serverVersion: String
    /// The largest frame the server accepts.
    public let maxFrameLength: Int
    /// The server's default largest record.
    public let defaultMaxRecordBytes: UInt64

    private init(channel: any Channel, handler: NIOLoopBound<ClientHandler>, hello: (String, Int, UInt64)) {
        self.channel = channel
        self.handler = handler
        (serverVersion, maxFrameLength, defaultMaxRecordBytes) = hello
    }

    /// Connects and exchanges HELLO.
    ///
    /// - Parameters:
    ///   - socketPath: immutad's socket, e.g. `/run/immuta/immuta.sock`.
    ///   - clientName: shown by the daemon in its logs and in group descriptions.
    ///   - group: the event loops to use (default: NIO's shared singleton).
    public static func connect(
        socketPath: String, clientName: String = defaultClientName,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> ImmutaClient {
        let channel: any Channel
        // The handler is kept from the moment it is made: a daemon that refuses the connection
        // (a connection limit) sends its ERROR and closes at once, which takes the handler out of
        // the pipeline before it could be looked up there, and its message, held by the handler,
        // was lost ("closed the connection as soon as it was opened").
        let created = CreatedHandler()
        do {
            channel = try await ClientBootstrap(group: group)
                // Let reads grow to 4 MiB (NIO's default stops at 64 KiB), so that a large records
                // frame arrives in one or a few reads instead of being copied together from many.
                .channelOption(
                    .recvAllocator,
                    value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 4 << 20))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = ClientHandler()
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(FrameDecoder(maxFrameLength: Int(UInt32.max))))
                        try channel.pipeline.syncOperations.addHandler(handler)
                        created.handler.withLock { $0 = NIOLoopBound(handler, eventLoop: channel.eventLoop) }
                    }
                }
                .connect(unixDomainSocketPath: socketPath).get()
        } catch {
            // The failed channel is torn down on its event loop after the connect's future fails.
            // Let the loops get through what they were given before this, so that a program that
            // exits on this error does not exit in the middle of it (LeakSanitizer reported the
            // channel's addresses as leaked at such exits, 2 times in 30).
            for loop in group.makeIterator() { try? await loop.submit {}.get() }
            throw ImmutaError.connectionClosed("cannot connect to immutad at \(socketPath): \(error)")
        }
        guard let handler = created.handler.withLock({ $0 }) else {
            throw ImmutaError.connectionClosed("immutad at \(socketPath) closed the connection as soon as it was opened")
        }
        let provisional = ImmutaClient(channel: channel, handler: handler, hello: ("", 0, 0))
        let response = try await provisional.send(
            .hello(minVersion: immutaProtocolVersion, maxVersion: immutaProtocolVersion, clientName: clientName))
        guard case .helloOK(_, let server, let maxFrame, let maxRecord) = response else {
            try? await channel.close()
            throw ImmutaError(code: .malformedFrame, message: "unexpected answer to HELLO: \(response.opcode)")
        }
        return ImmutaClient(channel: channel, handler: handler, hello: (server, Int(maxFrame), maxRecord))
    }

    /// The name sent in HELLO by default: the program's name.
    public static var defaultClientName: String {
        String(CommandLine.arguments.first?.split(separator: "/").last ?? "immuta-client")
    }

    /// Closes the connection. Pending requests fail with a connection-closed error.
    public func close() async {
        try? await channel.close()
    }

    func makeRequestID() -> UInt32 {
        var id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        if id == 0 { id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue }
        return id
    }

    /// Sends a request and waits for its response; an ERROR response throws ``ImmutaError``.
    func send(_ request: Request, id: UInt32? = nil, sink: SubscriptionSink? = nil) async throws -> Response {
        let id = id ?? makeRequestID()
        let buffer = encode(request, id: id)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let channel = self.channel
        let handler = self.handler
        channel.eventLoop.execute {
            if handler.value.register(id, promise: promise, sink: sink) {
                channel.writeAndFlush(buffer, promise: nil)
            }
        }
        let response = try await promise.futureResult.get()
        if case .error(let error) = response { throw ImmutaError(error) }
        return response
    }

    /// Sends a request without waiting; `onError` hears about an ERROR answer or a lost connection.
    func sendTracked(_ request: Request, onError: @escaping @Sendable (ImmutaError) -> Void) {
        let id = makeRequestID()
        let buffer = encode(request, id: id)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        promise.futureResult.whenComplete { result in
            switch result {
            case .success(.error(let error)): onError(ImmutaError(error))
            case .success: break
            case .failure(let error): onError(error as? ImmutaError ?? .connectionClosed("\(error)"))
            }
        }
        let channel = self.channel
        let handler = self.handler
        channel.eventLoop.execute {
            if handler.value.register(id, promise: promise) { channel.writeAndFlush(buffer, promise: nil) }
        }
    }

    /// Sends a request that has no response on success (CREDIT).
    func sendWithoutResponse(_ request: Request) {
        channel.writeAndFlush(encode(request, id: makeRequestID()), promise: nil)
    }

    private func encode(_ request: Request, id: UInt32) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: 256)
        request.encodeFrame(requestID: id, into: &buffer)
        return buffer
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

/// Where the channel initializer leaves the connection's handler for ``ImmutaClient/connect(socketPath:clientName:group:)``.
private final class CreatedHandler: Sendable {
    let handler = Locked<NIOLoopBound<ClientHandler>?>(nil)
}
