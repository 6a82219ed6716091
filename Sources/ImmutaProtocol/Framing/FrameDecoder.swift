import NIOCore

/// Splits a byte stream into ``Frame``s.
///
/// A small state machine: wait for the 4-byte length, check it against the maximum frame size
/// *before* any body is buffered, then wait for the whole frame. An over-long or too-short length
/// is a ``ProtocolError`` and the stream cannot be resynchronised, so the connection must close.
public struct FrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = Frame

    /// The largest value of the length field accepted.
    public let maxFrameLength: Int

    /// Creates a decoder that refuses frames whose length field exceeds `maxFrameLength`.
    public init(maxFrameLength: Int) {
        self.maxFrameLength = maxFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.decodeFrame(from: &buffer, maxFrameLength: maxFrameLength) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            throw ProtocolError(.malformedFrame, "the connection ended inside a frame (\(buffer.readableBytes) bytes of it arrived)")
        }
        return .needMoreData
    }

    /// Takes one frame off the front of `buffer`, or returns nil (consuming nothing) when the frame
    /// is not complete yet. Usable without a channel.
    public static func decodeFrame(from buffer: inout ByteBuffer, maxFrameLength: Int) throws -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self) else {
            return nil
        }
        guard length >= UInt32(Frame.lengthCountedHeader) else {
            throw ProtocolError(.malformedFrame, "frame length \(length) is shorter than the 8-byte header it must cover")
        }
        guard Int(length) <= maxFrameLength else {
            throw ProtocolError(.frameTooLarge, "frame length \(length) exceeds the maximum of \(maxFrameLength) bytes")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let opcode = buffer.readInteger(as: UInt8.self)!
        let flags = buffer.readInteger(as: UInt8.self)!
        buffer.moveReaderIndex(forwardBy: 2)
        let requestID = buffer.readInteger(endianness: .little, as: UInt32.self)!
        let body = buffer.readSlice(length: Int(length) - Frame.lengthCountedHeader)!
        return Frame(opcode: Opcode(rawValue: opcode), flags: flags, requestID: requestID, body: body)
    }
}
