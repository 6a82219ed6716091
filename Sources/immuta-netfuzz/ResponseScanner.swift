import ImmutaProtocol

/// Counts the frames the daemon sends back on one connection by opcode (and ERROR frames by
/// code, keeping one message of each code as an example), without keeping the frames: it looks at
/// each frame's first bytes and skips the rest. `--show-responses` prints the totals, to see how
/// deep the fuzz traffic gets (an ERROR invalid_request never reached a handler; a TOPIC_INFO or
/// GROUP_JOINED did) and what the rarer errors say.
struct ResponseScanner {
    /// What all connections saw.
    struct Tally {
        var counts: [String: Int] = [:]
        var examples: [String: String] = [:]
    }

    /// Bytes of an ERROR frame looked at: header, code, message length, and the message's start.
    private static let errorPrefix = 12 + 2 + 2 + 160

    private var prefix: [UInt8] = []
    private var toSkip = 0

    /// Starts over, for a new connection.
    mutating func reset() {
        prefix.removeAll(keepingCapacity: true)
        toSkip = 0
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer, into tally: inout Tally) {
        var index = 0
        while index < bytes.count {
            if toSkip > 0 {
                let step = min(toSkip, bytes.count - index)
                toSkip -= step
                index += step
                continue
            }
            prefix.append(bytes[index])
            index += 1
            guard prefix.count >= 12 else { continue }
            let frameSize = 4 + Int(UInt32(prefix[0]) | UInt32(prefix[1]) << 8 | UInt32(prefix[2]) << 16 | UInt32(prefix[3]) << 24)
            let opcode = Opcode(rawValue: prefix[4])
            if opcode == .error && prefix.count < min(Self.errorPrefix, frameSize) { continue }
            count(opcode, into: &tally)
            toSkip = max(0, frameSize - prefix.count)
            prefix.removeAll(keepingCapacity: true)
        }
    }

    private func count(_ opcode: Opcode, into tally: inout Tally) {
        guard opcode == .error, prefix.count >= 16 else {
            tally.counts["\(opcode)", default: 0] += 1
            return
        }
        let key = "ERROR \(ErrorCode(rawValue: UInt16(prefix[12]) | UInt16(prefix[13]) << 8))"
        tally.counts[key, default: 0] += 1
        if tally.examples[key] == nil {
            tally.examples[key] = String(decoding: prefix[16...], as: UTF8.self)
        }
    }
}
