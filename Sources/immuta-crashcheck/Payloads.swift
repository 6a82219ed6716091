import ImmutaTestSupport
/// Record payloads that name the batch they belong to, so a record found in a topic can be traced
/// to the produce that wrote it: `batch-id/index;` followed by random filler.
enum Payloads {
    /// The payloads of one batch.
    static func batch(id: String, count: Int, using random: inout SeededGenerator, sizes: ClosedRange<Int>) -> [[UInt8]] {
        (0..<count).map { index in
            let header = Array("\(id)/\(index);".utf8)
            return header + random.bytes(max(0, Int.random(in: sizes, using: &random) - header.count))
        }
    }

    /// The batch id and record index a payload names, or nil when it names none.
    static func origin(of payload: [UInt8]) -> (batch: String, index: Int)? {
        guard let end = payload.prefix(64).firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let header = String(decoding: payload[..<end], as: UTF8.self)
        guard let slash = header.lastIndex(of: "/"), let index = Int(header[header.index(after: slash)...]) else { return nil }
        return (String(header[..<slash]), index)
    }
}
