import NIOCore

/// A request or response: an opcode and a body that can be written after a frame header.
public protocol FrameMessage: Sendable {
    /// The frame's opcode.
    var opcode: Opcode { get }
    /// Writes the body.
    func encodeBody(into buffer: inout ByteBuffer)
}

extension FrameMessage {
    /// The whole frame for this message.
    public func frame(requestID: UInt32, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> Frame {
        var body = allocator.buffer(capacity: 64)
        encodeBody(into: &body)
        return Frame(opcode: opcode, requestID: requestID, body: body)
    }

    /// Appends the whole frame to `buffer` in one pass: the body is written after room for the
    /// header, whose length field is filled in last, so the body is never copied.
    public func encodeFrame(requestID: UInt32, into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: Frame.headerSize)
        encodeBody(into: &buffer)
        let bodyLength = buffer.writerIndex - start - Frame.headerSize
        buffer.setInteger(UInt32(Frame.lengthCountedHeader + bodyLength), at: start, endianness: .little)
        buffer.setInteger(opcode.rawValue, at: start + 4)
        buffer.setInteger(requestID, at: start + 8, endianness: .little)
    }
}

extension Request: FrameMessage {}
extension Response: FrameMessage {}
