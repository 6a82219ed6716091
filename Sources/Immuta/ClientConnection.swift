import ImmutaLocks
import ImmutaProtocol
import NIOCore
import NIOPosix
import Synchronization

/// One connection to immutad, after HELLO: its channel, the handler that matches responses to
/// requests, and what the server said about itself. ``ImmutaClient`` holds one at a time and
/// replaces it when it is lost (``ImmutaClient/reconnect(after:)``).
final class ClientConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<ClientHandler>
    /// Why the connection is of no more use, once it is: it failed, or the daemon answered
    /// `shutting_down` (the answers still in flight on it may arrive, new requests go elsewhere).
    let retired: Retirement
    let serverVersion: String
    let maxFrameLength: Int
    let defaultMaxRecordBytes: UInt64

    private init(channel: any Channel, handler: NIOLoopBound<ClientHandler>, retired: Retirement, hello: (String, Int, UInt64)) {
        self.channel = channel
        self.handler = handler
        self.retired = retired
        (serverVersion, maxFrameLength, defaultMaxRecordBytes) = hello
    }

    /// Whether new requests may go on this connection.
    var isUsable: Bool { channel.isActive && retired.reason == nil }

    /// Connects and exchanges HELLO.
    ///
    /// - Parameter deadline: when given, a daemon that has not answered HELLO by then has the
    ///   connection closed: under socket activation the connect succeeds while no daemon runs,
    ///   and HELLO would wait for one forever.
    static func open(
        socketPath: String, clientName: String, group: any EventLoopGroup, requestID: UInt32,
        deadline: ContinuousClock.Instant? = nil
    ) async throws -> ClientConnection {
        let channel: any Channel
        let retired = Retirement()
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
                        let handler = ClientHandler(retired: retired)
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
        let provisional = ClientConnection(channel: channel, handler: handler, retired: retired, hello: ("", 0, 0))
        let timeout = deadline.map { deadline in
            channel.eventLoop.scheduleTask(in: .nanoseconds((deadline - .now).wholeNanoseconds)) {
                channel.close(promise: nil)
            }
        }
        defer { timeout?.cancel() }
        let response: Response
        do {
            response = try await provisional.send(
                .hello(minVersion: immutaProtocolVersion, maxVersion: immutaProtocolVersion, clientName: clientName),
                id: requestID)
        } catch let error as ImmutaError where error.isConnectionLost && deadline.map({ .now >= $0 }) == true {
            throw ImmutaError.connectionClosed(
                "immutad at \(socketPath) took the connection but did not answer HELLO in time (is the daemon behind "
                    + "the socket running, or still starting?)")
        }
        guard case .helloOK(_, let server, let maxFrame, let maxRecord) = response else {
            try? await channel.close()
            throw ImmutaError(code: .malformedFrame, message: "unexpected answer to HELLO: \(response.opcode)")
        }
        return ClientConnection(channel: channel, handler: handler, retired: retired, hello: (server, Int(maxFrame), maxRecord))
    }

    /// Closes the connection. Pending requests fail with a connection-closed error.
    func close() async {
        retired.set(.connectionClosed("the client closed the connection"))
        try? await channel.close()
    }

    /// Sends a request and waits for its response; an ERROR response throws ``ImmutaError``.
    func send(_ request: Request, id: UInt32, sink: SubscriptionSink? = nil) async throws -> Response {
        let buffer = encode(request, id: id)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let (channel, handler) = (self.channel, self.handler)
        channel.eventLoop.execute {
            if handler.value.register(id, promise: promise, sink: sink) {
                Self.writeCoalescingFlushes(buffer, on: channel, handler: handler.value)
            }
        }
        let response = try await promise.futureResult.get()
        if case .error(let error) = response { throw ImmutaError(error) }
        return response
    }

    /// Sends a request without waiting; `onError` hears about an ERROR answer or a lost connection.
    func sendTracked(_ request: Request, id: UInt32, onError: @escaping @Sendable (ImmutaError) -> Void) {
        let buffer = encode(request, id: id)
        let promise = channel.eventLoop.makePromise(of: Response.self)
        promise.futureResult.whenComplete { result in
            switch result {
            case .success(.error(let error)): onError(ImmutaError(error))
            case .success: break
            case .failure(let error): onError(error as? ImmutaError ?? .connectionClosed("\(error)"))
            }
        }
        let (channel, handler) = (self.channel, self.handler)
        channel.eventLoop.execute {
            if handler.value.register(id, promise: promise) { Self.writeCoalescingFlushes(buffer, on: channel, handler: handler.value) }
        }
    }

    /// Sends a request that has no response on success (CREDIT).
    func sendWithoutResponse(_ request: Request, id: UInt32) {
        channel.writeAndFlush(encode(request, id: id), promise: nil)
    }

    /// Stops routing deliveries for `id` (a subscription or membership being ended).
    func removeSink(_ id: UInt32) async {
        let handler = self.handler
        try? await channel.eventLoop.submit { handler.value.removeSink(id) }.get()
    }

    private func encode(_ request: Request, id: UInt32) -> ByteBuffer {
        var buffer = channel.allocator.buffer(capacity: 256)
        request.encodeFrame(requestID: id, into: &buffer)
        return buffer
    }
}

/// Why a connection was given up (nil while it is in use), readable from any thread, set on its
/// event loop; the first reason stays.
final class Retirement: Sendable {
    private let value = Locked<ImmutaError?>(nil)
    var reason: ImmutaError? { value.withLock { $0 } }
    func set(_ reason: ImmutaError) { value.withLock { $0 = $0 ?? reason } }
}

/// Where the channel initializer leaves the connection's handler for ``ClientConnection/open(socketPath:clientName:group:requestID:deadline:)``.
private final class CreatedHandler: Sendable {
    let handler = Locked<NIOLoopBound<ClientHandler>?>(nil)
}

extension Duration {
    /// The duration in whole nanoseconds (clamped), as NIO's time amounts take it.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : product &+ attoseconds / 1_000_000_000
    }
}
