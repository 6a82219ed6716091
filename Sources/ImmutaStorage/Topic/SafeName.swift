/// The rule every topic and group name follows, because names become directory names: 1 to 255
/// bytes of ASCII letters, digits, `.`, `_` and `-`, not starting with `.` (kept for the engine's
/// own temporary files), so never `.` or `..`, and never containing `/` or NUL.
public enum SafeName {
    /// The longest name allowed, in bytes.
    public static let maximumLength = 255

    /// What is allowed, for error messages.
    public static let rule =
        "use 1 to 255 ASCII letters, digits, '.', '_' or '-', not starting with '.'"

    /// Checks `name`, throwing ``StorageError/invalidName(_:reason:)`` that says what is wrong.
    public static func validate(_ name: String, kind: String = "topic") throws {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { throw StorageError.invalidName(name, reason: "\(kind) name is empty; \(rule)") }
        guard bytes.count <= maximumLength else {
            throw StorageError.invalidName(name, reason: "\(kind) name is \(bytes.count) bytes long; \(rule)")
        }
        guard bytes[0] != UInt8(ascii: ".") else {
            throw StorageError.invalidName(name, reason: "\(kind) name starts with '.'; \(rule)")
        }
        for byte in bytes {
            let allowed =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            guard allowed else {
                let shown = byte < 0x20 || byte >= 0x7F ? String(format: byte) : "'\(Character(Unicode.Scalar(byte)))'"
                throw StorageError.invalidName(name, reason: "\(kind) name contains \(shown); \(rule)")
            }
        }
    }

    private static func String(format byte: UInt8) -> Swift.String {
        let hex = Swift.String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
