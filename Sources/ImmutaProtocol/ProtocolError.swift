/// A stable numeric error code carried by ERROR frames. Codes never change meaning; new ones may
/// be added, so clients must accept codes they do not know.
public struct ErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    // Connection-level: the server closes the connection after sending these.
    /// Bytes that are not a valid frame.
    public static let malformedFrame = ErrorCode(rawValue: 1)
    /// A frame longer than the announced maximum.
    public static let frameTooLarge = ErrorCode(rawValue: 2)
    /// No protocol version in common.
    public static let unsupportedVersion = ErrorCode(rawValue: 3)
    /// A request before HELLO, or a second HELLO.
    public static let helloRequired = ErrorCode(rawValue: 4)
    /// An opcode the server does not know.
    public static let unknownOpcode = ErrorCode(rawValue: 5)
    /// The server already serves as many connections as `max_connections` or
    /// `max_connections_per_uid` allow.
    public static let tooManyConnections = ErrorCode(rawValue: 6)
    /// No HELLO within `handshake_timeout`.
    public static let handshakeTimeout = ErrorCode(rawValue: 7)
    /// Nothing received for `idle_timeout` on a connection with nothing open or pending.
    public static let idleTimeout = ErrorCode(rawValue: 8)

    // Request-level: the connection stays open.
    /// A request body that does not parse, or a value out of range.
    public static let invalidRequest = ErrorCode(rawValue: 10)
    /// The named topic does not exist.
    public static let topicNotFound = ErrorCode(rawValue: 11)
    /// A topic of that name exists already.
    public static let topicExists = ErrorCode(rawValue: 12)
    /// A topic or group name outside the allowed characters and length.
    public static let invalidName = ErrorCode(rawValue: 13)
    /// A record larger than the topic's maximum.
    public static let recordTooLarge = ErrorCode(rawValue: 14)
    /// An offset below the earliest retained or beyond the next offset.
    public static let offsetOutOfRange = ErrorCode(rawValue: 15)
    /// Stored data failed its checksum.
    public static let corruptData = ErrorCode(rawValue: 16)
    /// The disk refused a read or write (for example, no space left).
    public static let storageFailure = ErrorCode(rawValue: 17)
    /// The subscription id is not one of this connection's.
    public static let unknownSubscription = ErrorCode(rawValue: 18)
    /// The connection has as many subscriptions as allowed.
    public static let tooManySubscriptions = ErrorCode(rawValue: 19)
    /// The named consumer group does not exist.
    public static let groupNotFound = ErrorCode(rawValue: 20)
    /// An ack or nack for a record the member does not hold.
    public static let notHeld = ErrorCode(rawValue: 21)
    /// A commit that would move a group's offset backwards.
    public static let commitBackwards = ErrorCode(rawValue: 22)
    /// The group has active members (a reset without force, or a manual commit on a managed group).
    public static let groupBusy = ErrorCode(rawValue: 23)
    /// The member id is not joined on this connection.
    public static let unknownMember = ErrorCode(rawValue: 24)
    /// The connection already has `max_requests_in_flight` requests waiting (FETCHes waiting for
    /// records, PRODUCEs waiting for their fsync).
    public static let tooManyRequests = ErrorCode(rawValue: 25)
    /// The data directory already holds `max_topics` topics.
    public static let tooManyTopics = ErrorCode(rawValue: 26)
    /// The topic already has `max_groups_per_topic` consumer groups.
    public static let tooManyGroups = ErrorCode(rawValue: 27)
    /// A segment size outside `min_segment_bytes`…`max_segment_bytes`.
    public static let segmentSizeOutOfRange = ErrorCode(rawValue: 28)
    /// An idempotent producer's batch that skips ahead of its last stored one (an earlier batch
    /// failed); nothing was stored.
    public static let sequenceGap = ErrorCode(rawValue: 32)
    /// A resend of a batch stored earlier whose offsets are no longer remembered, or a sequence
    /// number reused for other records; nothing was stored.
    public static let duplicateSequence = ErrorCode(rawValue: 33)
    /// The topic remembers `max_producers_per_topic` idempotent producers, none idle past
    /// `producer_expiry`.
    public static let tooManyProducers = ErrorCode(rawValue: 34)
    /// The batch was written, but flushing it to disk failed, so whether it survives a crash is
    /// unknown; the topic stops taking writes until it has recovered. Resend the batch (an
    /// idempotent producer's resend is answered with its offsets once they are durable).
    public static let notDurable = ErrorCode(rawValue: 35)
    /// A batch other than number 0 from an idempotent producer the topic does not remember (new
    /// with a failed first batch, or forgotten); nothing was stored. Start again from batch 0.
    public static let unknownProducer = ErrorCode(rawValue: 36)
    /// The topic refuses writes after a failed write or flush until it has recovered, which it
    /// tries at the next write, at most once a second. Nothing was stored; retry.
    public static let topicRecovering = ErrorCode(rawValue: 37)
    /// The connection's user may not do this: no grant in the daemon's access rules allows the
    /// operation on the topic (or group). The message names the user and the operation.
    public static let permissionDenied = ErrorCode(rawValue: 38)
    /// MIRROR_CONTROL named no mirror or source of the daemon's configuration.
    public static let mirrorNotFound = ErrorCode(rawValue: 39)
    /// The server is shutting down.
    public static let shuttingDown = ErrorCode(rawValue: 30)
    /// A server bug.
    public static let internalError = ErrorCode(rawValue: 31)

    /// Whether the server closes the connection after this error.
    public var isFatal: Bool { rawValue < 10 }

    public var description: String {
        let names: [UInt16: String] = [
            1: "malformed_frame", 2: "frame_too_large", 3: "unsupported_version", 4: "hello_required",
            5: "unknown_opcode", 6: "too_many_connections", 7: "handshake_timeout", 8: "idle_timeout", 10: "invalid_request", 11: "topic_not_found", 12: "topic_exists",
            13: "invalid_name", 14: "record_too_large", 15: "offset_out_of_range", 16: "corrupt_data",
            17: "storage_failure", 18: "unknown_subscription", 19: "too_many_subscriptions",
            20: "group_not_found", 21: "not_held", 22: "commit_backwards", 23: "group_busy", 24: "unknown_member",
            25: "too_many_requests", 26: "too_many_topics", 27: "too_many_groups", 28: "segment_size_out_of_range",
            30: "shutting_down", 31: "internal_error", 32: "sequence_gap", 33: "duplicate_sequence",
            34: "too_many_producers", 35: "not_durable",
            36: "unknown_producer", 37: "topic_recovering", 38: "permission_denied",
            39: "mirror_not_found",
        ]
        return "\(names[rawValue] ?? "error") (\(rawValue))"
    }
}

/// An error with a protocol code and a message for people.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stable code.
    public var code: ErrorCode
    /// What went wrong, for people.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code)]" }
}
