import ImmutaProtocol
import ImmutaStorage
import Logging
import NIOCore
import Synchronization

/// Serves one client connection: the HELLO handshake, then requests in any number and order.
///
/// Everything here runs on the connection's event loop. Storage calls that finish elsewhere (a
/// flush, a new record) hop back through `eventLoop.execute` with a loop-bound reference.
final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = IOData

    enum State { case awaitingHello, ready, closed }

    let broker: Broker
    var logger: Logger
    var state = State.awaitingHello
    var context: ChannelHandlerContext?
    var clientName = ""
    var subscriptions: [UInt32: Subscription] = [:]
    var pendingFetches: [UInt64: PendingFetch] = [:]
    var nextFetchID: UInt64 = 0
    var members: [UInt32: ConsumerGroup] = [:]
    let connectionID = ConnectionHandler.connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue
    var peerPID: Int32 = 0

    static let connectionCounter = Atomic<UInt64>(0)

    init(broker: Broker, logger: Logger) {
        self.broker = broker
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        broker.stats.connections.wrappingAdd(1, ordering: .relaxed)
        broker.stats.connectionsAccepted.wrappingAdd(1, ordering: .relaxed)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        PeerCredentials.read(from: context.channel) { credentials in
            handler.value.peerPID = credentials.pid
            handler.value.logger[metadataKey: "client_pid"] = "\(credentials.pid)"
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        broker.stats.connections.wrappingSubtract(1, ordering: .relaxed)
        for subscription in subscriptions.values { subscription.cancel() }
        broker.stats.subscriptions.wrappingSubtract(Int64(subscriptions.count), ordering: .relaxed)
        subscriptions.removeAll()
        for fetch in pendingFetches.values { fetch.cancel() }
        pendingFetches.removeAll()
        for (joinID, group) in members { group.leave(MemberKey(connection: connectionID, joinID: joinID)) }
        members.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch state {
        case .closed:
            return
        case .awaitingHello:
            handshake(frame, context: context)
        case .ready:
            let request: Request
            do {
                request = try Request(frame: frame)
            } catch {
                let failure = ProtocolError.from(error)
                if failure.code.isFatal { fail(failure, context: context) } else { sendError(failure, requestID: frame.requestID) }
                return
            }
            if case .hello = request {
                fail(ProtocolError(.helloRequired, "HELLO was already exchanged on this connection"), context: context)
                return
            }
            handle(request, requestID: frame.requestID, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            for id in subscriptions.keys.sorted() { pump(id) }
        }
        context.fireChannelWritabilityChanged()
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
        state = .ready
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

    /// Writes a response (flushed at the end of the read burst, or right away from callbacks).
    func send(_ response: Response, requestID: UInt32, flush: Bool = false) {
        guard let context, state != .closed else { return }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        response.encodeFrame(requestID: requestID, into: &buffer)
        context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        if flush { context.flush() }
    }

    func sendError(_ error: any Error, requestID: UInt32, flush: Bool = false) {
        send(.error(ProtocolError.from(error)), requestID: requestID, flush: flush)
    }
}

/// The daemon's version string.
public let immutaVersion = "0.1.0"
