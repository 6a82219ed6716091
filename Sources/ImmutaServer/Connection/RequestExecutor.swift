import ImmutaProtocol
import ImmutaStorage
import NIOCore
import Synchronization

/// Carries out one connection's requests on its worker, off the event loop: everything that
/// touches the disk or takes a topic's locks happens here. What the connection's own state needs
/// (answers, subscriptions, memberships) is handed back as a ``LoopAction``.
struct RequestExecutor: Sendable {
    let broker: Broker
    let limits: ServerLimits
    let connectionID: UInt64
    let clientName: String
    let pid: Int32
    /// Who the peer is, and the rules and per-user limits in force when the batch started.
    let identity: ClientIdentity
    let access: AccessPolicy
    let audit: AuditLog
    /// The connection's memberships and subscription ids when the batch started (a batch ends
    /// after any request that changes them).
    let members: [UInt32: ConsumerGroup]
    let subscriptionIDs: Set<UInt32>
    /// Requests parked on the connection (waiting FETCHes, PRODUCEs waiting for fsync).
    var parked: Int
    /// Bytes of replies built in this batch.
    var replyBytes = 0

    mutating func run(_ request: Request, requestID: UInt32) -> LoopAction {
        do {
            // Before the request touches anything, so that a denial says nothing about whether
            // the topic or group exists.
            try request.validateNames()
            try access.check(request.accessRequirement, for: identity)
            let action = try perform(request, requestID: requestID)
            if request.isAdministrative { audit(request, .allowed, detail: request.auditDetail) }
            return action
        } catch {
            let failure = ProtocolError.from(error, shuttingDown: broker.isShuttingDown)
            if failure.code == .permissionDenied {
                audit(request, .denied, detail: failure.message)
            } else if request.isAdministrative {
                audit(request, .failed, detail: "\(failure)")
            }
            return { $0.sendError(failure, requestID: requestID) }
        }
    }

    private func audit(_ request: Request, _ decision: AuditLog.Decision, detail: String? = nil) {
        audit.record(
            identity, operation: request.auditName, topic: request.auditTopic, group: request.auditGroup, decision: decision,
            detail: detail)
    }

    /// The creator recorded with a new topic or group, and the per-user caps it is held to.
    var creator: Creator { Creator(identity: identity, limits: access.limits(for: identity)) }

    private mutating func perform(_ request: Request, requestID: UInt32) throws -> LoopAction {
        switch request {
        case .hello:
            return { _ in }  // handled by the handshake
        case .ping:
            return { $0.send(.pong, requestID: requestID) }
        case .stats:
            var entries = broker.stats.snapshot(
                topics: broker.store.count, longestWriterStallNanoseconds: broker.longestWriterStallNanoseconds)
                + broker.hostFigures()
            // Counts of what exists are for those with some grant; anyone may see that the daemon is up.
            if !access.grantsAnything(to: identity) { entries = entries.filter { ["uptime_ms", "pid"].contains($0.0) } }
            let response = Response.stats(entries.map { Response.StatsEntry(name: $0.0, value: $0.1) })
            return { $0.send(response, requestID: requestID) }
        case .createTopic(let name, let config):
            let info = broker.info(try broker.createTopic(name, config: config, creator: creator))
            return { $0.send(.topicInfo(info), requestID: requestID) }
        case .configureTopic(let name, let config):
            let info = broker.info(try broker.configureTopic(name, config: config))
            return { $0.send(.topicInfo(info), requestID: requestID) }
        case .deleteTopic(let name):
            try broker.deleteTopic(name)
            return { $0.send(.ok, requestID: requestID) }
        case .listTopics:
            let list = broker.store.list().filter { access.maySee(identity, topic: $0.name) }.map(broker.info)
            return { $0.send(.topicList(list), requestID: requestID) }
        case .describeTopic(let name):
            let info = broker.info(try broker.store.topic(name))
            return { $0.send(.topicInfo(info), requestID: requestID) }
        case .produce(let topic, let ack, let count, let records):
            return try produce(topic: topic, ack: ack, count: count, records: records, requestID: requestID)
        case .produceIdempotent(let topic, let ack, let producer, let sequence, let count, let records):
            return try produce(
                topic: topic, ack: ack, producer: producer, sequence: sequence, count: count, records: records,
                requestID: requestID)
        case .fetch(let topic, let start, let maxRecords, let maxBytes, let wait):
            return try fetch(
                topic: topic, start: start, maxRecords: maxRecords, maxBytes: maxBytes, waitMilliseconds: wait,
                requestID: requestID)
        case .subscribe(let topic, let start, let records, let bytes):
            try checkUnused(requestID)
            let found = try broker.store.topic(topic)
            let offset = try found.log.resolve(start.storagePosition)
            return { $0.openSubscription(requestID, topic: found, offset: offset, records: records, bytes: bytes) }
        case .credit(let id, let records, let bytes):
            return { $0.credit(id, records: records, bytes: bytes, requestID: requestID) }
        case .unsubscribe(let id):
            return { $0.closeSubscription(id, requestID: requestID) }
        case .group(let request):
            return try group(request, requestID: requestID)
        case .access(let request):
            return try access(request, requestID: requestID)
        case .mirror(let request):
            return try mirror(request, requestID: requestID)
        }
    }

    /// Subscriptions and memberships of one connection are named by distinct request ids.
    func checkUnused(_ requestID: UInt32) throws {
        guard members[requestID] == nil, !subscriptionIDs.contains(requestID) else {
            throw ProtocolError(.invalidRequest, "request id \(requestID) already names an open subscription or group membership on this connection")
        }
    }

    /// Counts a request that will wait on the connection, refusing it beyond the limit.
    mutating func park() throws {
        guard parked < limits.maxRequestsInFlight else {
            throw ProtocolError(
                .tooManyRequests,
                "this connection already has \(parked) requests waiting, the limit max_requests_in_flight = \(limits.maxRequestsInFlight); wait for their answers first")
        }
        parked += 1
    }

    private mutating func fetch(
        topic name: String, start: WireStart, maxRecords: UInt32, maxBytes: UInt32, waitMilliseconds: UInt32,
        requestID: UInt32
    ) throws -> LoopAction {
        let topic = try broker.store.topic(name)
        let offset = try topic.log.resolve(start.storagePosition)
        // One response must fit the frame limit clients were told about in HELLO_OK.
        let frameRoom = broker.configuration.maxFrameLength - ServerConfiguration.frameOverhead
        let limits = FetchLimits(
            records: min(Int(max(1, maxRecords)), RecordsReply.maxRecords), bytes: min(Int(max(1, maxBytes)), frameRoom))
        let slice = try topic.log.slice(from: offset, maxRecords: limits.records, maxBytes: limits.bytes)
        if slice != nil || waitMilliseconds == 0 {
            let reply = try RecordsReply.make(
                .records, requestID: requestID, slice: slice, firstOffset: offset, logEnd: topic.log.nextOffset)
            // Records sent by sendfile count too: each holds a descriptor until it is sent.
            replyBytes += reply.bufferedBytes + reply.fileLength
            return { $0.write(reply, flush: false) }
        }
        try park()
        return {
            $0.waitForRecords(
                topic: topic, offset: offset, limits: limits, waitMilliseconds: waitMilliseconds, requestID: requestID)
        }
    }
}

/// How much one FETCH may return.
struct FetchLimits: Sendable {
    var records: Int
    var bytes: Int
}

extension WireStart {
    var storagePosition: StartPosition {
        switch self {
        case .earliest: .earliest
        case .latest: .latest
        case .offset(let offset): .offset(offset)
        case .timestamp(let time): .timestamp(time)
        }
    }
}
