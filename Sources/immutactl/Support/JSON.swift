/// A JSON value for the small documents immutactl prints (topic descriptions, reports). Keys
/// keep the order they are given in, so the output reads the same every time.
enum JSON {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    /// The value on one line.
    var rendered: String {
        var bytes: [UInt8] = []
        render(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    func render(into bytes: inout [UInt8]) {
        switch self {
        case .string(let text):
            JSON.appendQuoted(Array(text.utf8), to: &bytes)
        case .int(let value):
            bytes.append(contentsOf: String(value).utf8)
        case .uint(let value):
            bytes.append(contentsOf: String(value).utf8)
        case .double(let value):
            if value.isFinite {
                // Six decimals (microseconds for times) keep the output short and stable.
                let rounded = (value * 1e6).rounded() / 1e6
                bytes.append(contentsOf: (rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)).utf8)
            } else {
                bytes.append(contentsOf: "null".utf8)
            }
        case .bool(let value):
            bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            bytes.append(contentsOf: "null".utf8)
        case .array(let values):
            bytes.append(UInt8(ascii: "["))
            for (i, value) in values.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                value.render(into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            bytes.append(UInt8(ascii: "{"))
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                JSON.appendQuoted(Array(key.utf8), to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                value.render(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `utf8` (valid UTF-8) as a quoted JSON string.
    static func appendQuoted(_ utf8: [UInt8], to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if let escape = escapes[Int(byte)] {
                bytes.append(contentsOf: escape)
            } else {
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// For each byte value, its JSON escape, or nil when the byte is copied as it is.
    static let escapes: [[UInt8]?] = (0..<256).map { byte -> [UInt8]? in
        switch byte {
        case 0x22: return Array("\\\"".utf8)
        case 0x5C: return Array("\\\\".utf8)
        case 0x0A: return Array("\\n".utf8)
        case 0x0D: return Array("\\r".utf8)
        case 0x09: return Array("\\t".utf8)
        case 0x08: return Array("\\b".utf8)
        case 0x0C: return Array("\\f".utf8)
        case 0..<0x20:
            let hex = Array("0123456789abcdef".utf8)
            return Array("\\u00".utf8) + [hex[byte >> 4], hex[byte & 15]]
        default: return nil
        }
    }
}

extension JSON {
    /// `value`, or null.
    static func uint(_ value: UInt64?) -> JSON { value.map { .uint($0) } ?? .null }
    /// `value`, or null.
    static func int(_ value: Int64?) -> JSON { value.map { .int($0) } ?? .null }
}
