import NIOCore

/// Requests from many tasks at once go out in one system call.
///
/// What it buys: every request used to be written and flushed on its own, one `write` each. A
/// request is now written, and one flush is queued behind the writes already waiting for the
/// event loop: a producer with 256 requests in flight, or many tasks sharing a client, sends
/// what accumulated with one `writev`. A lone request waits only for the loop's next turn.
extension ClientConnection {
    /// Writes `buffer` and makes sure a flush follows. Call on the channel's event loop.
    static func writeCoalescingFlushes(_ buffer: ByteBuffer, on channel: any Channel, handler: ClientHandler) {
        channel.write(buffer, promise: nil)
        guard !handler.flushScheduled else { return }
        handler.flushScheduled = true
        let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        channel.eventLoop.execute {
            bound.value.flushScheduled = false
            channel.flush()
        }
    }
}
