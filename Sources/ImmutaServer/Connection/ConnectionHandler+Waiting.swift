import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

extension ConnectionHandler {
    /// Answers an ack-fsync PRODUCE once its batch is on disk (the log's group commit). `whenDurable`
    /// calls back on the flushing thread, which hands the answer straight to this event loop.
    func answerWhenDurable(
        _ response: Response, requestID: UInt32,
        whenDurable: (_ done: @escaping @Sendable (StorageError?) -> Void) -> Void
    ) {
        guard let context else { return }
        awaitingFsync += 1
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        whenDurable { error in
            // Written but not flushed: say so, so that a client resends instead of giving up.
            let failure = error.map { cause in
                ProtocolError(.notDurable, "the batch was written but not flushed to disk: \(ProtocolError.from(cause).message)")
            }
            eventLoop.execute {
                let this = handler.value
                this.awaitingFsync -= 1
                if let failure { this.sendError(failure, requestID: requestID, flush: true) } else {
                    this.send(response, requestID: requestID, flush: true)
                }
            }
        }
    }

    /// Parks a FETCH until records arrive or its wait ends. It then goes back into the request
    /// queue as a FETCH that does not wait, so its answer is built off the loop and only while
    /// the socket takes more, like every other reply.
    func waitForRecords(topic: Topic, offset: UInt64, limits: FetchLimits, waitMilliseconds: UInt32, requestID: UInt32) {
        guard let context, state == .ready else { return }
        let id = nextFetchID
        nextFetchID += 1
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let finish: @Sendable () -> Void = {
            eventLoop.execute {
                let this = handler.value
                guard let pending = this.pendingFetches.removeValue(forKey: id) else { return }
                pending.cancel()
                let again = Request.fetch(
                    topic: topic.name, start: .offset(offset), maxRecords: UInt32(limits.records),
                    maxBytes: UInt32(limits.bytes), waitMilliseconds: 0)
                this.queue.prepend((again, requestID))
                this.drain()
            }
        }
        let token = topic.log.whenRecords(beyond: offset, finish)
        let timeout = eventLoop.scheduleTask(in: .milliseconds(Int64(waitMilliseconds))) { finish() }
        pendingFetches[id] = PendingFetch(log: topic.log, token: token, timeout: timeout)
        if token == nil { finish() }
    }
}

/// A FETCH waiting for records, cancelled when it completes, times out or the connection closes.
struct PendingFetch {
    let log: RecordLog
    let token: WaitToken?
    let timeout: Scheduled<Void>

    func cancel() {
        if let token { log.cancelWait(token) }
        timeout.cancel()
    }
}
