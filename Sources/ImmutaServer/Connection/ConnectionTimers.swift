import ImmutaProtocol
import NIOCore
import Synchronization

/// The handshake and idle timers of one connection.
struct ConnectionTimers {
    var handshake: Scheduled<Void>?
    var idle: Scheduled<Void>?
    /// When the client last sent a frame.
    var lastActivity = NIODeadline.now()

    mutating func cancelAll() {
        handshake?.cancel()
        idle?.cancel()
        handshake = nil
        idle = nil
    }
}

extension ConnectionHandler {
    /// A connection that does not say HELLO within `handshake_timeout` is closed: half-open
    /// connections must not pile up.
    func startHandshakeTimer(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let limit = limits.handshakeTimeoutMilliseconds
        timers.handshake = context.eventLoop.scheduleTask(in: .milliseconds(limit)) {
            let this = handler.value
            guard this.state == .awaitingHello, let context = this.context else { return }
            this.fail(
                ProtocolError(
                    .handshakeTimeout, "no HELLO within handshake_timeout (\(limit) ms) of connecting; the connection is closed"),
                context: context)
        }
    }

    /// Whether the connection holds anything a client waits on: a quiet follower or group member
    /// is not idle.
    var holdsWork: Bool {
        !subscriptions.isEmpty || !members.isEmpty || !pendingFetches.isEmpty || awaitingFsync > 0 || busy
            || !queue.isEmpty
    }

    /// Closes the connection once nothing has arrived for `idle_timeout` and it holds nothing.
    func startIdleTimer(context: ChannelHandlerContext, due: NIODeadline? = nil) {
        guard let limit = limits.idleTimeoutMilliseconds else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        timers.idle = context.eventLoop.scheduleTask(deadline: due ?? timers.lastActivity + .milliseconds(limit)) {
            let this = handler.value
            guard this.state == .ready, let context = this.context else { return }
            let quietUntil = this.timers.lastActivity + .milliseconds(limit)
            if this.holdsWork {
                this.startIdleTimer(context: context, due: NIODeadline.now() + .milliseconds(limit))
                return
            }
            if NIODeadline.now() < quietUntil {
                this.startIdleTimer(context: context, due: quietUntil)
                return
            }
            this.fail(
                ProtocolError(.idleTimeout, "nothing received for idle_timeout (\(limit) ms) and nothing open; the connection is closed"),
                context: context)
        }
    }
}
