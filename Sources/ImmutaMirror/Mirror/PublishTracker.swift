import CNats
import Dispatch
import ImmutaLocks
import Synchronization

/// What the acknowledgements of one topic's asynchronous publishes said. libnats calls
/// ``onPublishAck`` on its reply thread; the handler records the outcome here and wakes the
/// mirror's thread, nothing more: publishing from the handler would deadlock once the window is
/// full, because a publish's slot is freed only after its handler returns.
final class PublishTracker: Sendable {
    struct Failure: Sendable {
        var offset: UInt64
        var error: NatsError
        /// For a refusal because the stream's last message is not the expected one: that message's id.
        var streamLastID: String?
    }

    struct State: Sendable {
        /// The highest offset JetStream acknowledged. With each publish expecting its predecessor's
        /// id, an acknowledgement proves every record up to it is in the stream.
        var highestAcked: UInt64?
        var acknowledged: UInt64 = 0
        var duplicates: UInt64 = 0
        var failure: Failure?
    }

    let state = Locked(State())
    /// Signalled by the handler; the mirror's thread waits on it (waking early is harmless).
    let wake = DispatchSemaphore(value: 0)

    func acknowledged(offset: UInt64, duplicate: Bool) {
        state.withLock { state in
            state.highestAcked = max(state.highestAcked ?? offset, offset)
            state.acknowledged += 1
            if duplicate { state.duplicates += 1 }
        }
    }

    func failed(_ failure: Failure) {
        state.withLock { state in
            if state.failure == nil { state.failure = failure }
        }
        wake.signal()
    }
}

/// The header that carries a record's offset; the handler reads it back from the message.
let offsetHeader = "Immuta-Offset"

func onPublishAck(
    _ context: OpaquePointer?, _ message: OpaquePointer?, _ ack: UnsafeMutablePointer<jsPubAck>?,
    _ failure: UnsafeMutablePointer<jsPubAckErr>?, _ closure: UnsafeMutableRawPointer?
) {
    // With an ack handler set, the message is ours to free.
    defer { natsMsg_Destroy(message) }
    guard let closure else { return }
    let tracker = Unmanaged<PublishTracker>.fromOpaque(closure).takeUnretainedValue()
    var value: UnsafePointer<CChar>?
    guard natsMsgHeader_Get(message, offsetHeader, &value) == NATS_OK, let value, let offset = UInt64(String(cString: value)) else { return }
    if let failure {
        let text = failure.pointee.ErrText.map { String(cString: $0) }
        var lastID: String?
        if failure.pointee.ErrCode == JSStreamWrongLastMsgIDErr, let text, let colon = text.lastIndex(of: ":") {
            lastID = String(text[text.index(after: colon)...]).trimmingWhitespace()
        }
        let error = NatsError(failure.pointee.Err, code: failure.pointee.ErrCode, what: "publishing offset \(offset)", text: text)
        tracker.failed(PublishTracker.Failure(offset: offset, error: error, streamLastID: lastID))
    } else {
        tracker.acknowledged(offset: offset, duplicate: ack?.pointee.Duplicate ?? false)
    }
}
