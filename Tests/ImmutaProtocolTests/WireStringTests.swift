import ImmutaProtocol
import NIOCore
import Testing

@Suite("Wire primitives", .timeLimit(.minutes(5)))
struct WireStringTests {
    @Test(
        "strings round-trip with a u16 byte length in front",
        arguments: ["", "a", "orders", "ünïcödé", "名前", "🚀🚀", "nul\u{0}inside", String(repeating: "é", count: 32_767)])
    func roundTrip(_ string: String) throws {
        var buffer = ByteBuffer()
        buffer.writeWireString(string)
        #expect(buffer.getInteger(at: 0, endianness: .little, as: UInt16.self) == UInt16(string.utf8.count))
        #expect(buffer.readableBytes == 2 + string.utf8.count)
        #expect(try buffer.readWireString("s") == string)
        #expect(buffer.readableBytes == 0)
    }

    @Test("the longest string, 65535 bytes, fits exactly")
    func longest() throws {
        let string = String(repeating: "z", count: 65_535)
        var buffer = ByteBuffer()
        buffer.writeWireString(string)
        #expect(buffer.getInteger(at: 0, endianness: .little, as: UInt16.self) == 0xFFFF)
        #expect(try buffer.readWireString("s") == string)
    }

    @Test("a longer string is cut to a whole character, and its length still matches its bytes")
    func overlong() throws {
        for (string, kept) in [
            (String(repeating: "z", count: 65_536), 65_535),
            (String(repeating: "z", count: 100_000), 65_535),
            // 21845 three-byte characters fill 65535 bytes exactly; the 21846th is dropped.
            (String(repeating: "€", count: 21_846), 65_535),
            // Four-byte characters: 16383 of them take 65532 bytes; the next would cross the limit.
            (String(repeating: "🚀", count: 20_000), 65_532),
            ("a" + String(repeating: "é", count: 40_000), 65_535),
        ] {
            var buffer = ByteBuffer()
            buffer.writeWireString(string)
            #expect(buffer.getInteger(at: 0, endianness: .little, as: UInt16.self) == UInt16(kept))
            #expect(buffer.readableBytes == 2 + kept)
            let decoded = try buffer.readWireString("s")
            #expect(decoded.utf8.count == kept)
            #expect(string.utf8.starts(with: decoded.utf8))
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("integers are little-endian")
    func littleEndian() throws {
        var buffer = ByteBuffer()
        buffer.writeWire(UInt16(0x0102))
        buffer.writeWire(UInt32(0x0304_0506))
        buffer.writeWire(UInt64(0x0708_090A_0B0C_0D0E))
        buffer.writeWire(Int64(-2))
        #expect(hex(buffer) == "0201" + "06050403" + "0e0d0c0b0a090807" + "feffffffffffffff")
        #expect(try buffer.readWire(UInt16.self, "a") == 0x0102)
        #expect(try buffer.readWire(UInt32.self, "b") == 0x0304_0506)
        #expect(try buffer.readWire(UInt64.self, "c") == 0x0708_090A_0B0C_0D0E)
        #expect(try buffer.readWire(Int64.self, "d") == -2)
        let error = #expect(throws: ProtocolError.self) { try buffer.readWire(UInt8.self, "e") }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("e:") == true)
    }

    @Test("CRC32C has the Castagnoli check value")
    func crcCheckValue() {
        #expect(crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(crc32c([]) == 0)
        #expect(crc32c(Array(repeating: 0, count: 32)) == 0x8A91_36AA)
    }
}
