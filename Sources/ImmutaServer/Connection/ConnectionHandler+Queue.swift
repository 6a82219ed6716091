import ImmutaProtocol
import NIOCore
import Synchronization

/// What a request's work, done off the event loop, hands back to run on it: writing the answer
/// and changing the connection's own state.
typealias LoopAction = @Sendable (ConnectionHandler) -> Void

extension ConnectionHandler {
    /// Requests one worker batch takes at most.
    static let batchLimit = 64

    /// Starts the next batch of queued requests on the worker, if the socket takes more.
    ///
    /// Requests run in arrival order, one batch at a time, so two pipelined PRODUCEs get offsets
    /// in the order they were sent. A batch ends after a request that changes what later ones
    /// see on this connection (subscriptions, memberships), so each request's checks see the
    /// effect of those before it. Reading stops while the socket is full or the queue is at
    /// `max_requests_in_flight`, which pushes back on the client through its own socket.
    func drain() {
        guard state == .ready, let context else { return }
        let writable = context.channel.isWritable
        setReading(writable && queue.count < limits.maxRequestsInFlight, context: context)
        guard !busy, writable, !queue.isEmpty, let identity else { return }
        var batch: [(request: Request, id: UInt32)] = []
        while let next = queue.first, batch.count < Self.batchLimit {
            queue.removeFirst()
            batch.append(next)
            if next.request.changesConnectionState { break }
        }
        busy = true
        let executor = RequestExecutor(
            broker: broker, limits: limits, connectionID: connectionID, clientName: clientName, pid: peer.pid,
            identity: identity, access: broker.configuration.access, audit: broker.audit,
            members: members, subscriptionIDs: Set(subscriptions.keys), parked: pendingFetches.count + awaitingFsync)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let budget = queuedReplyBudget
        let work = batch
        worker.async {
            var executor = executor
            var actions: [LoopAction] = []
            var consumed = 0
            for (request, id) in work {
                actions.append(executor.run(request, requestID: id))
                consumed += 1
                // Replies are built here; stop once a socket's worth is ready.
                if executor.replyBytes >= budget { break }
            }
            let rest = Array(work[consumed...])
            let done = actions
            eventLoop.execute {
                let this = handler.value
                for action in done { action(this) }
                this.busy = false
                for item in rest.reversed() { this.queue.prepend(item) }
                this.drain()
                this.context?.flush()
            }
        }
    }

    private func setReading(_ on: Bool, context: ChannelHandlerContext) {
        guard on == readingPaused else { return }
        readingPaused = !on
        context.channel.setOption(ChannelOptions.autoRead, value: on).whenFailure { _ in }
    }
}

extension Request {
    /// Whether the request changes the connection's subscriptions or memberships, which later
    /// requests in the same batch may refer to.
    var changesConnectionState: Bool {
        switch self {
        case .subscribe, .unsubscribe, .credit: true
        case .group(let request):
            switch request {
            case .join, .leave: true
            default: false
            }
        default: false
        }
    }
}
