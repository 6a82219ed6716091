import Foundation
import ImmutaLocks
import ImmutaStorage
import Logging
import Synchronization

/// Mirrors one topic into its JetStream stream, on a thread of its own with a NATS connection of
/// its own (libnats blocks).
///
/// Each record is published asynchronously with `Nats-Msg-Id: <host>/<topic>/<offset>` and
/// `Nats-Expected-Last-Msg-Id` naming the previous record: JetStream stores a record only right
/// after its predecessor (or recognises it as a duplicate), so an acknowledgement for offset `o`
/// proves every offset up to `o` is in the stream, and the resume point is simply the highest
/// acknowledged offset plus one. After any failure the mirror takes back what is in flight and
/// publishes again from there; the resends are absorbed as duplicates.
final class TopicMirror: Sendable {
    let settings: MirrorSettings
    let host: String
    let topic: Topic
    let stream: String
    let subject: String
    let resume: CommitLog
    let control: LinkControl
    let tracker = PublishTracker()
    let logger: Logger
    let meter = Locked(RateMeter())
    /// The topic end, resume point and lag the thread last saw, for status without touching the log.
    let progress = Locked((resume: UInt64(0), lagWarned: false))

    init(settings: MirrorSettings, host: String, topic: Topic, stateDirectory: String, logger: Logger) throws {
        self.settings = settings
        self.host = host
        self.topic = topic
        stream = MirrorNames.streamName(MirrorNames.expand(settings.stream, host: host, topic: topic.name))
        subject = MirrorNames.expand(settings.subject, host: host, topic: topic.name)
        resume = try CommitLog(directory: stateDirectory, name: "mirror \(settings.name)/\(topic.name)")
        control = LinkControl(wake: tracker.wake)
        self.logger = logger
        progress.withLock { $0.resume = resume.committed ?? 0 }
    }

    func start() {
        control.runOnThread(
            named: "mirror \(settings.name)/\(topic.name)", logger: logger,
            metadata: ["mirror": "\(settings.name)", "topic": "\(topic.name)"], session: session)
    }

    /// Asks the thread to stop and waits for it; commits the resume point.
    func stop() {
        control.requestStop()
        control.finished.wait()
        try? resume.close()
        // libnats may still run an acknowledgement callback with the tracker for a moment.
        NatsConnection.releaseLater(Unmanaged.passRetained(tracker))
    }

    /// One connection's life: set up, reconcile with the stream, publish until stopped or failed.
    private func session(_ backoff: inout Backoff) throws {
        control.set(.connecting)
        let events = ConnectionEvents()
        let nats = try NatsConnection(
            endpoint: settings.endpoint, clientName: "immutad mirror \(settings.name) \(topic.name)", events: events,
            publishAcks: tracker, window: settings.window, stallMilliseconds: 200)
        defer { nats.close() }
        let spec = NatsConnection.StreamSpec(
            name: stream, subject: subject, replicas: settings.replicas, duplicateWindowMilliseconds: settings.duplicateWindowMilliseconds)
        if let note = try nats.ensureStream(spec) { logger.notice("\(note)", metadata: ["mirror": "\(settings.name)"]) }
        var position = try reconcile(nats)
        let sessionStart = position
        tracker.state.withLock { state in
            state.highestAcked = position.next == 0 ? nil : position.next - 1
            state.failure = nil
        }
        commit(position.next)
        backoff.reset()
        var lastCommit = ContinuousClock.now
        while !control.isStopping {
            if control.isPaused {
                control.set(.paused)
                control.sleep(milliseconds: 500)
                continue
            }
            control.set(events.isConnected ? .running : .disconnected)
            if let failure = tracker.state.withLock({ $0.failure }) {
                position = try rewind(after: failure, nats: nats, from: position, sessionStart: sessionStart, backoff: &backoff)
                continue
            }
            if ContinuousClock.now - lastCommit >= .milliseconds(100) {
                commitAcknowledged()
                lastCommit = .now
            }
            let bounds = topic.log.bounds
            if position.next < bounds.earliestOffset {
                logger.warning(
                    "retention removed records before the mirror published them; they are skipped",
                    metadata: ["mirror": "\(settings.name)", "topic": "\(topic.name)", "from": "\(position.next)", "to": "\(bounds.earliestOffset)"])
                position.next = bounds.earliestOffset
            }
            guard position.next < bounds.nextOffset else {
                let token = topic.log.whenRecords(beyond: position.next) { [tracker] in tracker.wake.signal() }
                if token != nil { control.sleep(milliseconds: 100) }
                if let token { _ = topic.log.cancelWait(token) }
                continue
            }
            let batch = try topic.log.read(from: position.next, maxRecords: 512, maxBytes: 1 << 20)
            for index in 0..<batch.count {
                let offset = batch.firstOffset + UInt64(index)
                guard try publish(batch, index, offset: offset, expecting: position.expectedLast, nats: nats) else { break }
                position.expectedLast = MirrorNames.messageID(host: host, topic: topic.name, offset: offset)
                position.next = offset + 1
            }
            if tracker.state.withLock({ $0.failure == nil }) { backoff.reset() }
        }
        commitAcknowledged()
    }

    /// Where publishing goes on: the next offset, and the id the stream's last message must have.
    struct Position {
        var next: UInt64
        var expectedLast: String?
    }

    /// Finds where to start from the stream itself: after its newest message when that is one of
    /// ours, so nothing depends on the duplicate window having kept a resend's id; from the resume
    /// point (or the configured start) when the stream holds none of this topic's records.
    private func reconcile(_ nats: NatsConnection) throws -> Position {
        let bounds = topic.log.bounds
        guard let lastID = try nats.lastMessageID(stream: stream, subject: subject) else {
            let start: UInt64
            if let committed = resume.committed {
                start = committed
            } else {
                switch settings.start {
                case .earliest: start = bounds.earliestOffset
                case .latest: start = bounds.nextOffset
                case .offset(let offset): start = min(max(offset, bounds.earliestOffset), bounds.nextOffset)
                }
            }
            return Position(next: start, expectedLast: nil)
        }
        guard let last = MirrorNames.offset(inMessageID: lastID, host: host, topic: topic.name) else {
            throw MirrorError.foreignWriter(stream: stream, messageID: lastID)
        }
        guard last < bounds.nextOffset else {
            throw MirrorError.topic(
                "stream \(stream) holds this topic's records up to offset \(last), but the topic ends at \(bounds.nextOffset): it was deleted and created again, or its data was lost; delete the stream (or point the mirror at another) to mirror it anew")
        }
        if let committed = resume.committed, committed > last + 1 {
            logger.warning(
                "the stream lacks records it acknowledged (was it purged, or did a replica lose data?); publishing them again",
                metadata: ["mirror": "\(settings.name)", "topic": "\(topic.name)", "stream_last": "\(last)", "resume_point": "\(committed)"])
        }
        return Position(next: last + 1, expectedLast: lastID)
    }
}
