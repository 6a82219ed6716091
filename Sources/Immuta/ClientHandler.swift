import ImmutaProtocol
import NIOCore

/// Receives a stream of records for one subscription (from the connection's event loop).
final class SubscriptionSink: Sendable {
    let continuation: AsyncThrowingStream<RecordBatch, any Error>.Continuation

    struct RecordBatch: Sendable {
        var records: [ImmutaRecord]
        var bytes: UInt64
        var logEndOffset: UInt64
        /// For group deliveries: how many times these records have been delivered (0: the
        /// group has nothing more for this member right now).
        var deliveryCount: UInt16 = 1
    }

    init(continuation: AsyncThrowingStream<RecordBatch, any Error>.Continuation) {
        self.continuation = continuation
    }
}

/// Matches responses to the requests waiting for them (by request id) and routes pushed
/// deliveries to their subscriptions. Runs on the connection's event loop.
final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias OutboundOut = ByteBuffer

    private var pending: [UInt32: EventLoopPromise<Response>] = [:]
    private var sinks: [UInt32: SubscriptionSink] = [:]
    private var closed: ImmutaError?
    /// Whether a flush is queued behind the writes waiting for the event loop (see
    /// ``ClientConnection/writeCoalescingFlushes(_:on:handler:)``).
    var flushScheduled = false
    private let retired: Retirement

    init(retired: Retirement) {
        self.retired = retired
    }

    func register(_ id: UInt32, promise: EventLoopPromise<Response>, sink: SubscriptionSink? = nil) -> Bool {
        if let closed {
            promise.fail(closed)
            sink?.continuation.finish(throwing: closed)
            return false
        }
        pending[id] = promise
        if let sink { sinks[id] = sink }
        return true
    }

    /// Stops routing deliveries for `id`, and ends its stream.
    func removeSink(_ id: UInt32) {
        sinks.removeValue(forKey: id)?.continuation.finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let response: Response
        do {
            response = try Response(frame: frame)
        } catch {
            failAll(ImmutaError(code: .malformedFrame, message: "the server sent a frame that does not parse: \(error)"))
            context.close(promise: nil)
            return
        }
        if case .error(let error) = response, error.code == .shuttingDown {
            // The daemon is going away: what is in flight may still be answered here, but new
            // requests go to a new connection.
            retired.set(ImmutaError(error))
        }
        switch response {
        case .delivery(let header, let index, let data):
            guard let sink = sinks[frame.requestID] else { return }
            do {
                let records = try header.records(index: index, data: data).map(ImmutaRecord.init)
                sink.continuation.yield(
                    SubscriptionSink.RecordBatch(records: records, bytes: UInt64(data.readableBytes), logEndOffset: header.logEndOffset))
            } catch let error as ProtocolError {
                sinks[frame.requestID] = nil
                sink.continuation.finish(throwing: ImmutaError(error))
            } catch {
                sinks[frame.requestID] = nil
                sink.continuation.finish(throwing: error)
            }
        case .groupDelivery(let count, let header, let index, let data):
            guard let sink = sinks[frame.requestID] else { return }
            do {
                let records = try header.records(index: index, data: data).map(ImmutaRecord.init)
                sink.continuation.yield(
                    SubscriptionSink.RecordBatch(
                        records: records, bytes: UInt64(data.readableBytes), logEndOffset: header.logEndOffset,
                        deliveryCount: count))
            } catch {
                sinks[frame.requestID] = nil
                sink.continuation.finish(throwing: (error as? ProtocolError).map(ImmutaError.init) ?? error)
            }
        case .error(let error) where error.code.isFatal || frame.requestID == 0:
            failAll(ImmutaError(error))
            context.close(promise: nil)
        default:
            if let promise = pending.removeValue(forKey: frame.requestID) {
                if case .error(let error) = response, let sink = sinks.removeValue(forKey: frame.requestID) {
                    sink.continuation.finish(throwing: ImmutaError(error))
                }
                promise.succeed(response)
            } else if case .error(let error) = response, let sink = sinks.removeValue(forKey: frame.requestID) {
                // A subscription ended by the server (its topic was deleted, its data is damaged).
                sink.continuation.finish(throwing: ImmutaError(error))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? ProtocolError {
            failAll(ImmutaError(error))
        } else {
            failAll(.connectionClosed("the connection to immutad failed: \(error)"))
        }
        context.close(promise: nil)
    }

    private func failAll(_ error: ImmutaError) {
        retired.set(error)
        if closed == nil { closed = error }
        let promises = pending
        let subscribers = sinks
        pending.removeAll()
        sinks.removeAll()
        for promise in promises.values { promise.fail(error) }
        for sink in subscribers.values { sink.continuation.finish(throwing: error) }
    }
}
