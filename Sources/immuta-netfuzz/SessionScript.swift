import ImmutaTestSupport
/// What one fuzz connection sends, chunk by chunk: a mix of well-formed sessions with fuzzed
/// fields, broken frames, frames before HELLO, oversized lengths and plain garbage.
///
/// Each connection gets a plan when it opens; most plans start with a valid HELLO so that frames
/// reach request dispatch, and every plan ends, sooner or later, with the fuzzer closing the
/// connection itself (sometimes in the middle of a frame) or the daemon closing it.
struct SessionScript {
    /// Bytes to write, the number of frames they count as, and what should happen afterwards.
    struct Chunk {
        var bytes: [UInt8]
        var frames = 1
        /// The fuzzer closes the connection once the chunk is written.
        var closeAfter = false
        /// A connection-level error the daemon must answer by closing the connection (section 6);
        /// set only while the stream is known to be in sync, so the daemon reads it as a frame.
        var mustClose: String?
    }

    private enum Plan { case session, noHello, badHello, garbage, badLength, helloThenGarbage }

    private var requests: RequestFuzzer
    private var plan = Plan.session
    private var sent = 0
    private var length = 0
    /// False once a chunk may have left the daemon reading frame boundaries elsewhere than ours.
    private var inSync = true

    init(random: SeededGenerator) { requests = RequestFuzzer(random: random) }

    private var random: SeededGenerator {
        get { requests.fields.random }
        set { requests.fields.random = newValue }
    }

    /// Starts the plan of a new connection.
    mutating func begin() {
        requests.reset()
        sent = 0
        inSync = true
        plan =
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<80: .session
            case 80..<86: .noHello
            case 86..<90: .badHello
            case 90..<94: .garbage
            case 94..<97: .badLength
            default: .helloThenGarbage
            }
        // Mostly long sessions, sometimes very short ones, so that connection churn stays
        // moderate while closes still hit subscriptions, groups and waiting fetches.
        length = random.chance(20) ? Int.random(in: 1...20, using: &random) : Int.random(in: 50...3_000, using: &random)
    }

    /// The next chunk for this connection.
    mutating func next() -> Chunk {
        defer { sent += 1 }
        var chunk: Chunk
        switch (plan, sent) {
        case (.session, 0), (.helloThenGarbage, 0):
            chunk = Chunk(bytes: requests.hello())
        case (.noHello, 0):
            chunk = Chunk(bytes: requests.request(anyRequest()), mustClose: "a request before HELLO")
        case (.badHello, 0):
            chunk = Chunk(bytes: mutate(requests.hello(), always: true))
        case (.badLength, 0):
            chunk = badLength()
        case (.garbage, _), (.helloThenGarbage, _):
            inSync = false
            chunk = Chunk(bytes: random.bytes(Int.random(in: 1...512, using: &random)))
        default:
            chunk = sessionFrame()
        }
        if sent + 1 >= length { chunk.closeAfter = true }
        if !inSync || chunk.closeAfter { chunk.mustClose = nil }
        return chunk
    }

    /// One frame of a session: mostly a request with fuzzed fields, sometimes damaged as a whole.
    private mutating func sessionFrame() -> Chunk {
        let roll = Int.random(in: 0..<1_000, using: &random)
        if roll < 4 {
            // The connection ends inside a frame (malformed_frame on the server side).
            let frame = requests.request(anyRequest())
            return Chunk(bytes: Array(frame.prefix(Int.random(in: 1..<frame.count, using: &random))), closeAfter: true)
        }
        if roll < 8 { return badLength() }
        if roll < 10 {
            // Only a well-formed second HELLO is checked to end the connection: immutad answers one
            // whose body does not parse with a request-level invalid_request and keeps the
            // connection (a known deviation from section 5.1, reported rather than checked here).
            return Chunk(bytes: requests.hello(plain: true), mustClose: "a second HELLO")
        }
        if roll < 12 { return Chunk(bytes: requests.hello()) }
        if roll < 20 {
            var frame = requests.request(0x02)
            frame[4] = UInt8.random(in: 0...255, using: &random)
            let fatal = !RequestFuzzer.isRequest(frame[4])
            return Chunk(bytes: frame, mustClose: fatal ? "opcode \(frame[4]), not a request" : nil)
        }
        let frame = requests.request(anyRequest())
        return Chunk(bytes: random.chance(12) ? mutate(frame, always: false) : frame)
    }

    private mutating func anyRequest() -> UInt8 { RequestFuzzer.weightedOpcodes.randomElement(using: &random)! }

    /// A length field below 8 or above any limit, or one announcing a frame that never comes.
    private mutating func badLength() -> Chunk {
        var frame = FrameBytes()
        let length: UInt32 = [0, 1, 7, 16_842_753, 0x7FFF_FFFF, UInt32.max, 16_842_752].randomElement(using: &random)!
        frame.u32(length)
        frame.bytes(random.bytes(Int.random(in: 0...64, using: &random)))
        // The daemon waits for the rest of a frame whose length it accepts; closing ends that.
        if length >= 8 && length <= 16_842_752 { return Chunk(bytes: frame.body, closeAfter: true) }
        return Chunk(bytes: frame.body, mustClose: "frame length \(length)")
    }

    /// Damages a whole frame: flipped bits, a cut or extended body (with the length field fixed
    /// up), nonzero flags and reserved bytes, or a length field that lies.
    private mutating func mutate(_ frame: [UInt8], always: Bool) -> [UInt8] {
        var frame = frame
        let bodyRange = 12..<frame.count
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where !bodyRange.isEmpty:
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                frame[Int.random(in: bodyRange, using: &random)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
            }
        case 1 where !bodyRange.isEmpty:
            frame.removeLast(Int.random(in: 1...bodyRange.count, using: &random))
            setLength(&frame)
        case 2:
            frame += random.bytes(Int.random(in: 1...16, using: &random))
            setLength(&frame)
        case 3:
            frame[5] = UInt8.random(in: 1...255, using: &random)
            frame[6] = UInt8.random(in: 0...255, using: &random)
        case 4:
            // The length field lies by a little: the daemon's view of the stream shifts.
            let lie = UInt32(frame.count - 4) &+ UInt32(bitPattern: Int32.random(in: -4...4, using: &random))
            withUnsafeBytes(of: lie.littleEndian) { frame.replaceSubrange(0..<4, with: $0) }
            inSync = false
        default:
            if bodyRange.isEmpty || always { frame += [0] } else { frame[Int.random(in: bodyRange, using: &random)] = 0xFF }
            setLength(&frame)
        }
        return frame
    }

    private func setLength(_ frame: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(frame.count - 4).littleEndian) { frame.replaceSubrange(0..<4, with: $0) }
    }
}
