import ImmutaProtocol
import ImmutaStorage
import Logging
import NIOCore
import Synchronization

/// Serves one client connection: the HELLO handshake, then requests in any number and order.
///
/// The handler's state lives on the connection's event loop. Nothing here touches the disk on
/// the loop: requests run on the connection's own serial worker queue (so one connection's
/// requests keep their order, and a stalled disk stalls only the connections using it), and
/// their results come back to the loop to be written. Requests are taken from the queue only
/// while the socket is writable, so a client that does not read its replies stops being served
/// and costs a bounded amount of memory.
final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = IOData

    enum State { case awaitingHello, ready, closed }

    let broker: Broker
    let limits: ServerLimits
    var logger: Logger
    var state = State.awaitingHello
    var context: ChannelHandlerContext?
    var clientName = ""
    var subscriptions: [UInt32: Subscription] = [:]
    var pendingFetches: [UInt64: PendingFetch] = [:]
    var nextFetchID: UInt64 = 0
    /// PRODUCEs appended and waiting for their fsync.
    var awaitingFsync = 0
    var members: [UInt32: ConsumerGroup] = [:]
    let connectionID = ConnectionHandler.connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue
    var peer = PeerCredentials()
    /// Who the peer is (its user and groups), once looked up; no request runs before that.
    var identity: ClientIdentity?
    var admitted = false
    /// `max_queued_reply_bytes` for this connection: the daemon-wide one, or the user's own.
    var queuedReplyBudget: Int
    /// Requests received and not yet started, in arrival order.
    var queue = CircularBuffer<(request: Request, id: UInt32)>()
    /// Whether a batch of requests is running on the worker.
    var busy = false
    var readingPaused = false
    var flushScheduled = false
    /// Whether the socket takes more; read by group deliveries from other threads.
    let writable = WritableFlag()
    let worker: SerialWorker
    var timers = ConnectionTimers()
    /// Limits already logged for this client, so a client hammering one is logged once.
    var limitsLogged: Set<UInt16> = []

    static let connectionCounter = Atomic<UInt64>(0)

    init(broker: Broker, logger: Logger) {
        self.broker = broker
        self.limits = broker.configuration.limits
        self.queuedReplyBudget = limits.maxQueuedReplyBytes
        self.worker = SerialWorker(pool: broker.ioPool)
        self.logger = logger
        broker.stats.connectionHandlers.wrappingAdd(1, ordering: .relaxed)
    }

    deinit {
        broker.stats.connectionHandlers.wrappingSubtract(1, ordering: .relaxed)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The context holds the pipeline, which holds this handler: keeping it would keep every
        // connection's handler alive after the connection ends.
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        broker.stats.connections.wrappingAdd(1, ordering: .relaxed)
        broker.stats.connectionsAccepted.wrappingAdd(1, ordering: .relaxed)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        PeerCredentials.read(from: context.channel) { credentials in
            handler.value.admit(credentials)
        }
        startHandshakeTimer(context: context)
        context.fireChannelActive()
    }

    /// Counts the connection against the connection limits once the kernel has said who it is,
    /// then looks up the peer's user and groups: on the worker, since the user database may
    /// block, and only for a connection the limits let in.
    private func admit(_ credentials: PeerCredentials) {
        guard state != .closed, let context else { return }
        peer = credentials
        logger[metadataKey: "client_pid"] = "\(credentials.pid)"
        logger[metadataKey: "client_uid"] = "\(credentials.uid)"
        if let refusal = broker.admission.admit(uid: credentials.uid, limits: limits) {
            logLimit(refusal)
            fail(refusal, context: context)
            return
        }
        admitted = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        worker.async {
            let identity = ClientIdentity.resolve(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid)
            eventLoop.execute { handler.value.admit(identity) }
        }
    }

    /// Applies the user's own connection limit, then lets the connection's requests run.
    private func admit(_ identity: ClientIdentity) {
        guard state != .closed, let context else { return }
        let own = broker.configuration.access.limits(for: identity)
        if let refusal = broker.admission.refusal(of: identity, own: own.maxConnections) {
            logLimit(refusal)
            fail(refusal, context: context)
            return
        }
        self.identity = identity
        if let user = identity.userName { logger[metadataKey: "client_user"] = "\(user)" }
        if let queued = own.maxQueuedReplyBytes?.value, queued < queuedReplyBudget {
            queuedReplyBudget = queued
            context.channel.setOption(.writeBufferWaterMark, value: .init(low: queued / 2, high: queued)).whenFailure { _ in }
        }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        broker.connections.add(
            connectionID,
            .init(
                identity: identity, clientName: clientName, connectedAt: Int64(currentTimeNanoseconds() / 1_000_000),
                revoke: { policy in eventLoop.execute { handler.value.revoke(under: policy) } }))
        drain()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        timers.cancelAll()
        if admitted {
            broker.admission.release(uid: peer.uid)
            broker.connections.remove(connectionID)
        }
        admitted = false
        broker.stats.connections.wrappingSubtract(1, ordering: .relaxed)
        for subscription in subscriptions.values { subscription.cancel() }
        broker.stats.subscriptions.wrappingSubtract(Int64(subscriptions.count), ordering: .relaxed)
        subscriptions.removeAll()
        for fetch in pendingFetches.values { fetch.cancel() }
        pendingFetches.removeAll()
        let leaving = members
        members.removeAll()
        let connection = connectionID
        worker.async {
            for (joinID, group) in leaving { group.leave(MemberKey(connection: connection, joinID: joinID)) }
        }
        queue.removeAll()
        context.fireChannelInactive()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        timers.lastActivity = NIODeadline.now()
        switch state {
        case .closed:
            return
        case .awaitingHello:
            handshake(frame, context: context)
        case .ready:
            // A second HELLO ends the connection whether or not its body parses.
            if frame.opcode == .hello {
                fail(ProtocolError(.helloRequired, "HELLO was already exchanged on this connection"), context: context)
                return
            }
            let request: Request
            do {
                request = try Request(frame: frame)
            } catch {
                let failure = ProtocolError.from(error)
                if failure.code.isFatal { fail(failure, context: context) } else { sendError(failure, requestID: frame.requestID) }
                return
            }
            queue.append((request, frame.requestID))
            drain()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Flushed in a task of its own, not inside this callback: when the read burst ends with the
        // peer's EOF, a flush that fails here (EPIPE) closes the channel in the middle of NIO's
        // half-closure handling, which then trips an assertion in NIOPosix (found by the fuzzer).
        guard !flushScheduled else { return }
        flushScheduled = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let this = handler.value
            this.flushScheduled = false
            this.context?.flush()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let isWritable = context.channel.isWritable
        writable.set(isWritable)
        if isWritable {
            drain()
            for id in subscriptions.keys.sorted() { pump(id) }
            let groups = Array(members.values)
            worker.async { for group in groups { group.pump() } }
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client shut down its side. A frame cut off by it was already answered with
        // malformed_frame by the decoder; either way there is nothing more to read.
        if let event = event as? ChannelEvent, event == .inputClosed, state != .closed {
            state = .closed
            context.flush()
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let failure = error as? ProtocolError {
            fail(failure, context: context)
        } else if state != .closed {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            state = .closed
            context.close(promise: nil)
        }
    }

    private func handshake(_ frame: Frame, context: ChannelHandlerContext) {
        guard frame.opcode == .hello else {
            fail(ProtocolError(.helloRequired, "the first frame must be HELLO (opcode 0x01), got \(frame.opcode)"), context: context)
            return
        }
        guard case .hello(let minVersion, let maxVersion, let name) = try? Request(frame: frame) else {
            fail(ProtocolError(.malformedFrame, "the HELLO body does not parse"), context: context)
            return
        }
        guard minVersion <= immutaProtocolVersion && immutaProtocolVersion <= maxVersion else {
            fail(
                ProtocolError(
                    .unsupportedVersion,
                    "this server speaks protocol version \(immutaProtocolVersion); the client asked for \(minVersion)...\(maxVersion)"),
                context: context)
            return
        }
        clientName = name
        logger[metadataKey: "client"] = "\(name)"
        if admitted { broker.connections.rename(connectionID, clientName: name) }
        state = .ready
        timers.handshake?.cancel()
        timers.handshake = nil
        startIdleTimer(context: context)
        let configuration = broker.configuration
        send(
            .helloOK(
                version: immutaProtocolVersion, server: "immutad \(immutaVersion)",
                maxFrameLength: UInt32(configuration.maxFrameLength),
                maxRecordBytes: configuration.topicDefaults.maxRecordBytes),
            requestID: frame.requestID)
    }

    /// Sends a connection-level error, then closes.
    func fail(_ failure: ProtocolError, context: ChannelHandlerContext) {
        guard state != .closed else { return }
        state = .closed
        broker.stats.protocolErrors.wrappingAdd(1, ordering: .relaxed)
        logger.info("closing connection after a protocol error", metadata: ["error": "\(failure)"])
        var buffer = context.channel.allocator.buffer(capacity: 256)
        Response.error(failure).encodeFrame(requestID: 0, into: &buffer)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(buffer))).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Logs a limit the client reached, once per limit and connection: a client looping on a
    /// refused request must not flood the journal.
    func logLimit(_ refusal: ProtocolError) {
        guard limitsLogged.insert(refusal.code.rawValue).inserted else { return }
        logger.warning("client reached a limit", metadata: ["code": "\(refusal.code)", "detail": "\(refusal.message)"])
    }

    /// Writes a response (flushed at the end of the read burst, or right away from callbacks).
    func send(_ response: Response, requestID: UInt32, flush: Bool = false) {
        guard let context, state != .closed else { return }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        response.encodeFrame(requestID: requestID, into: &buffer)
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        if flush { context.flush() }
    }

    func sendError(_ error: any Error, requestID: UInt32, flush: Bool = false) {
        let failure = ProtocolError.from(error, shuttingDown: broker.isShuttingDown)
        if [.tooManyRequests, .tooManyTopics, .tooManyGroups, .tooManySubscriptions, .segmentSizeOutOfRange]
            .contains(failure.code)
        {
            logLimit(failure)
        }
        send(.error(failure), requestID: requestID, flush: flush)
    }
}

/// Whether a connection's socket takes more writes, readable from any thread.
final class WritableFlag: Sendable {
    private let value = Atomic<Bool>(true)
    var isWritable: Bool { value.load(ordering: .relaxed) }
    func set(_ writable: Bool) { value.store(writable, ordering: .relaxed) }
}

