import ImmutaProtocol
import ImmutaTestSupport
import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

/// Every sample request and response as a frame, with a spread of request ids and one frame with
/// non-zero flags (the decoder passes flags through untouched).
private func sampleFrames() -> [Frame] {
    var frames: [Frame] = []
    for (i, request) in sampleRequests.enumerated() { frames.append(request.frame(requestID: UInt32(i) &* 2_654_435_761)) }
    for (i, response) in sampleResponses.enumerated() { frames.append(response.frame(requestID: UInt32(i))) }
    frames.append(Frame(opcode: Opcode(rawValue: 0x7F), flags: 0xA5, requestID: .max, body: buffer([1, 2, 3])))
    return frames
}

/// Feeds `input` to a fresh decoder in chunks of the given sizes and collects the frames.
private func decodeInChunks(_ input: ByteBuffer, sizes: [Int]) throws -> [Frame] {
    var pending = ByteBuffer()
    var frames: [Frame] = []
    var input = input
    for size in sizes {
        var chunk = input.readSlice(length: min(size, input.readableBytes))!
        pending.writeBuffer(&chunk)
        while let frame = try FrameDecoder.decodeFrame(from: &pending, maxFrameLength: defaultMaxFrameLength) {
            frames.append(frame)
        }
    }
    #expect(input.readableBytes == 0)
    #expect(pending.readableBytes == 0, "bytes left over after the last frame")
    return frames
}

/// A channel with the frame decoder installed, as the server and client install it.
private func decoderChannel(maxFrameLength: Int = defaultMaxFrameLength) throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameLength: maxFrameLength)))
    return channel
}

@Suite("Frame decoder", .timeLimit(.minutes(5)))
struct FrameDecoderTests {
    @Test("NIO's verifier: byte by byte, in chunks, and all at once give the same frames")
    func verifier() throws {
        // The verifier drip-feeds every input ten times through a channel; the 70 KB samples would
        // take most of a minute that way, so they are left to the chunking test below.
        let pairs = sampleFrames().map { (wireBytes($0), [$0]) }.filter { $0.0.readableBytes <= 4096 }
        #expect(pairs.count > 60)
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            FrameDecoder(maxFrameLength: defaultMaxFrameLength)
        }
    }

    @Test("random chunkings of a stream of frames decode identically", arguments: [1, 2, 3, 42, 0xC0FFEE] as [UInt64])
    func randomChunkings(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let frames = sampleFrames().shuffled(using: &generator)
        var stream = ByteBuffer()
        for frame in frames { frame.encode(into: &stream) }
        // Tiny chunks over the small frames only: the 70 KB ones add time, not coverage.
        let small = frames.filter { $0.body.readableBytes <= 4096 }
        var smallStream = ByteBuffer()
        for frame in small { frame.encode(into: &smallStream) }

        #expect(try decodeInChunks(stream, sizes: [stream.readableBytes]) == frames)
        for (input, expected, maxChunk) in [
            (smallStream, small, 2), (smallStream, small, 7), (smallStream, small, 13), (stream, frames, 100),
            (stream, frames, 5000), (stream, frames, 100_000),
        ] {
            var sizes: [Int] = []
            var covered = 0
            while covered < input.readableBytes {
                let size = Int.random(in: 1...maxChunk, using: &generator)
                sizes.append(size)
                covered += size
            }
            #expect(try decodeInChunks(input, sizes: sizes) == expected, "chunks up to \(maxChunk) bytes")
        }
    }

    @Test("a stream of every sample frame fed one byte at a time decodes identically")
    func byteByByte() throws {
        let frames = sampleFrames()
        var stream = ByteBuffer()
        for frame in frames { frame.encode(into: &stream) }
        #expect(try decodeInChunks(stream, sizes: Array(repeating: 1, count: stream.readableBytes)) == frames)
    }

    @Test("an incomplete frame consumes nothing")
    func incompleteConsumesNothing() throws {
        let bytes = wireBytes(Request.hello(minVersion: 1, maxVersion: 1, clientName: "x").frame(requestID: 1))
        for cut in 0..<bytes.readableBytes {
            var partial = bytes.getSlice(at: 0, length: cut)!
            #expect(try FrameDecoder.decodeFrame(from: &partial, maxFrameLength: defaultMaxFrameLength) == nil)
            #expect(partial.readableBytes == cut)
        }
    }

    @Test("a frame of exactly the maximum length is accepted; one byte more is not")
    func maximumBoundary() throws {
        let max = 1000
        let body = ByteBuffer(repeating: 0x11, count: max - 8)
        var exact = wireBytes(Frame(opcode: .produce, requestID: 1, body: body))
        #expect(try FrameDecoder.decodeFrame(from: &exact, maxFrameLength: max)?.body == body)

        var over = wireBytes(Frame(opcode: .produce, requestID: 1, body: ByteBuffer(repeating: 0x11, count: max - 7)))
        let error = #expect(throws: ProtocolError.self) { try FrameDecoder.decodeFrame(from: &over, maxFrameLength: max) }
        #expect(error?.code == .frameTooLarge)
    }

    @Test("a too-large length is refused from the 4 length bytes alone", arguments: [1001, 65_536, UInt32.max] as [UInt32])
    func tooLargeFromLengthAlone(length: UInt32) throws {
        var lengthOnly = ByteBuffer()
        lengthOnly.writeInteger(length, endianness: .little)
        let error = #expect(throws: ProtocolError.self) {
            try FrameDecoder.decodeFrame(from: &lengthOnly, maxFrameLength: 1000)
        }
        #expect(error?.code == .frameTooLarge)
    }

    @Test("a channel refuses a too-large frame before its body arrives")
    func tooLargeInChannel() throws {
        let channel = try decoderChannel()
        var lengthOnly = ByteBuffer()
        lengthOnly.writeInteger(UInt32(defaultMaxFrameLength + 1), endianness: .little)
        let error = #expect(throws: ProtocolError.self) { try channel.writeInbound(lengthOnly) }
        #expect(error?.code == .frameTooLarge)
        #expect(try channel.readInbound(as: Frame.self) == nil)
        _ = try? channel.finish()
    }

    @Test("a huge declared length does not make the channel buffer anything", arguments: [UInt32.max, 1 << 31])
    func hugeLengthInChannel(length: UInt32) throws {
        let channel = try decoderChannel(maxFrameLength: 1 << 20)
        var bytes = ByteBuffer()
        bytes.writeInteger(length, endianness: .little)
        bytes.writeRepeatingByte(0, count: 8)
        let error = #expect(throws: ProtocolError.self) { try channel.writeInbound(bytes) }
        #expect(error?.code == .frameTooLarge)
        _ = try? channel.finish()
    }

    @Test("lengths 0 through 7 are malformed", arguments: 0..<8)
    func lengthBelowHeader(length: Int) throws {
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(length), endianness: .little)
        bytes.writeRepeatingByte(0, count: 16)
        let error = #expect(throws: ProtocolError.self) {
            try FrameDecoder.decodeFrame(from: &bytes, maxFrameLength: defaultMaxFrameLength)
        }
        #expect(error?.code == .malformedFrame)

        var lengthOnly = ByteBuffer()
        lengthOnly.writeInteger(UInt32(length), endianness: .little)
        let early = #expect(throws: ProtocolError.self) {
            try FrameDecoder.decodeFrame(from: &lengthOnly, maxFrameLength: defaultMaxFrameLength)
        }
        #expect(early?.code == .malformedFrame)
    }

    @Test("length 8 is a frame with an empty body")
    func emptyBody() throws {
        var bytes = buffer(hex: "08000000 02 00 0000 2a000000")
        let frame = try FrameDecoder.decodeFrame(from: &bytes, maxFrameLength: defaultMaxFrameLength)
        #expect(frame == Frame(opcode: .ping, requestID: 42, body: ByteBuffer()))
        #expect(try Request(frame: frame!) == .ping)
    }

    @Test("the reserved bytes are ignored on input")
    func reservedIgnored() throws {
        var bytes = buffer(hex: "08000000 02 00 ffff 2a000000")
        let frame = try FrameDecoder.decodeFrame(from: &bytes, maxFrameLength: defaultMaxFrameLength)
        #expect(frame == Frame(opcode: .ping, requestID: 42, body: ByteBuffer()))
    }

    @Test("a frame cut short by the end of the stream is malformed", arguments: [1, 3, 4, 11, 12, 20])
    func truncatedThenEOF(keep: Int) throws {
        let full = wireBytes(Request.describeTopic(name: "orders-with-a-long-name").frame(requestID: 5))
        let channel = try decoderChannel()
        try channel.writeInbound(full.getSlice(at: 0, length: keep)!)
        #expect(try channel.readInbound(as: Frame.self) == nil)
        let error = #expect(throws: ProtocolError.self) { try channel.finish() }
        #expect(error?.code == .malformedFrame)
    }

    @Test("complete frames before the end of the stream are still delivered")
    func completeFramesThenEOF() throws {
        let channel = try decoderChannel()
        var bytes = wireBytes(Request.ping.frame(requestID: 1))
        var second = wireBytes(Request.stats.frame(requestID: 2))
        bytes.writeBuffer(&second)
        try channel.writeInbound(bytes)
        #expect(try channel.finish().isClean == false)
        #expect(try channel.readInbound(as: Frame.self) == Request.ping.frame(requestID: 1))
        #expect(try channel.readInbound(as: Frame.self) == Request.stats.frame(requestID: 2))
    }

    @Test("a clean end of stream between frames is not an error")
    func cleanEOF() throws {
        let channel = try decoderChannel()
        try channel.writeInbound(wireBytes(Request.ping.frame(requestID: 1)))
        #expect(try channel.readInbound(as: Frame.self) == Request.ping.frame(requestID: 1))
        #expect(throws: Never.self) { try channel.finish() }
    }

    @Test("a decoder with a maximum beyond UInt32 works")
    func hugeMaximum() throws {
        var bytes = wireBytes(Request.ping.frame(requestID: 1))
        #expect(try FrameDecoder.decodeFrame(from: &bytes, maxFrameLength: .max) == Request.ping.frame(requestID: 1))
        var lengthOnly = ByteBuffer()
        lengthOnly.writeInteger(UInt32.max, endianness: .little)
        #expect(try FrameDecoder.decodeFrame(from: &lengthOnly, maxFrameLength: .max) == nil)
    }
}

private func buffer(hex text: String) -> ByteBuffer { buffer(bytes(hex: text)) }
