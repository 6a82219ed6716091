import CNats
import Dispatch
import Foundation
import ImmutaLocks
import ImmutaStorage
import Logging
import Synchronization

/// Appends a JetStream stream's messages to a local topic through a durable pull consumer, once
/// each: a batch is appended with its stream sequences recorded (``SourceProgress``), and
/// acknowledged only once it is durable at the topic's ack level. Messages redelivered after a
/// crash are recognised by their sequence, acknowledged and skipped.
final class TopicSource: Sendable {
    let settings: SourceSettings
    let topic: Topic
    let consumer: String
    let progress: SourceProgress
    let control = LinkControl()
    let logger: Logger
    let figures = Locked((applied: UInt64(0), appended: UInt64(0), skipped: UInt64(0), pending: UInt64(0), lagMilliseconds: Int64(0)))
    let meter = Locked(RateMeter())

    init(settings: SourceSettings, host: String, topic: Topic, stateDirectory: String, logger: Logger) throws {
        self.settings = settings
        self.topic = topic
        consumer = MirrorNames.streamName(MirrorNames.expand(settings.consumer, host: host, name: settings.name))
        progress = try SourceProgress(directory: stateDirectory, name: "source \(settings.name)")
        self.logger = logger
        let applied = progress.applied(topicEnd: topic.log.nextOffset)
        figures.withLock { $0.applied = applied }
    }

    func start() {
        control.runOnThread(named: "source \(settings.name)", logger: logger, metadata: ["source": "\(settings.name)"], session: session)
    }

    func stop() {
        control.requestStop()
        control.finished.wait()
        try? progress.log.close()
    }

    private func session(_ backoff: inout Backoff) throws {
        control.set(.connecting)
        let events = ConnectionEvents()
        let nats = try NatsConnection(endpoint: settings.endpoint, clientName: "immutad source \(settings.name)", events: events)
        defer { nats.close() }
        let spec = NatsConnection.ConsumerSpec(
            stream: settings.stream, durable: consumer, filterSubject: settings.filterSubject, ackWaitMilliseconds: settings.ackWaitMilliseconds,
            maxAckPending: settings.batch * 2)
        if let note = try nats.ensureConsumer(spec, after: figures.withLock({ $0.applied })) { logger.notice("\(note)", metadata: ["source": "\(settings.name)"]) }
        let subscription = try nats.bindPullSubscription(stream: settings.stream, durable: consumer)
        defer { natsSubscription_Destroy(subscription) }
        natsSubscription_SetPendingLimits(subscription, -1, -1)
        while !control.isStopping {
            if control.isPaused {
                control.set(.paused)
                control.sleep(milliseconds: 500)
                continue
            }
            control.set(events.isConnected ? .running : .disconnected)
            var list = natsMsgList()
            var code = jsErrCode(rawValue: 0)
            let status = natsSubscription_Fetch(&list, subscription, Int32(settings.batch), 1000, &code)
            defer { natsMsgList_Destroy(&list) }
            if status == NATS_TIMEOUT { continue }
            try NatsError.check(status, "fetching from consumer \(consumer) of stream \(settings.stream)", code: code)
            let messages = (0..<Int(list.Count)).compactMap { list.Msgs[$0].flatMap(FetchedMessage.init) }
            guard let last = messages.last else { continue }
            try apply(messages)
            try NatsError.check(natsMsg_Ack(last.message, nil), "acknowledging stream sequence \(last.streamSequence)")
            backoff.reset()
        }
    }
}
