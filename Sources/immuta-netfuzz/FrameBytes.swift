/// A frame under construction, as raw bytes rather than through the protocol codec, so that every
/// field can be made wrong on purpose (a string whose length lies, a count that does not match).
struct FrameBytes {
    var body: [UInt8] = []

    mutating func u8(_ value: UInt8) { body.append(value) }
    mutating func u16(_ value: UInt16) { append(value) }
    mutating func u32(_ value: UInt32) { append(value) }
    mutating func u64(_ value: UInt64) { append(value) }
    mutating func bytes(_ value: [UInt8]) { body += value }

    /// A wire string: a u16 byte count, then the bytes.
    mutating func string(_ value: [UInt8]) {
        u16(UInt16(truncatingIfNeeded: value.count))
        body += value.prefix(Int(UInt16.max))
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { body += $0 }
    }

    /// The whole frame: header (length, opcode, flags, reserved, request id) and body.
    func frame(opcode: UInt8, requestID: UInt32, flags: UInt8 = 0, reserved: UInt16 = 0) -> [UInt8] {
        var header = FrameBytes()
        header.u32(UInt32(8 + body.count))
        header.u8(opcode)
        header.u8(flags)
        header.u16(reserved)
        header.u32(requestID)
        return header.body + body
    }
}
