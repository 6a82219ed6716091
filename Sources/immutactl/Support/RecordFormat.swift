import ArgumentParser
import Immuta
import NIOCore

/// `consume --format lines|raw|json`.
enum RecordFormat: String, ExpressibleByArgument, CaseIterable {
    case lines
    case raw
    case json
}

extension OutputWriter {
    /// Appends one record in `format`. With `delivery` (group consumption), the JSON object
    /// carries the record's delivery count.
    func write(_ record: ImmutaRecord, format: RecordFormat, delivery: Int? = nil) throws {
        try record.payload.withUnsafeReadableBytes { payload in
            switch format {
            case .lines:
                try write(payload)
                try write(byte: UInt8(ascii: "\n"))
            case .raw:
                try write(payload)
            case .json:
                try write(#"{"offset":"#)
                try write(decimal: record.offset)
                if let delivery {
                    try write(#","delivery":"#)
                    try write(decimal: UInt64(delivery))
                }
                try write(#","timestamp":""#)
                try write(timestamp: record.timestamp)
                if UTF8Validation.isValid(payload) {
                    try write(#"","payload":"#)
                    try write(jsonString: payload)
                } else {
                    try write(#"","payload_base64":"#)
                    try write(base64JSONString: payload)
                }
                try write("}\n")
            }
        }
    }
}
