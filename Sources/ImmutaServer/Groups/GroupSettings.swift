import Foundation
import ImmutaProtocol
import ImmutaStorage

/// A consumer group's settings, fixed when its first member creates it and kept in `group.json`.
struct GroupSettings: Codable, Sendable, Hashable {
    var version = 1
    var topic: String
    var group: String
    var maxInFlight: UInt32
    var ackTimeoutMilliseconds: UInt32
    var maxDeliveries: UInt16
    var deadLetterTopic: String
    /// Nanoseconds since the Unix epoch.
    var createdAt: Int64

    static let defaultMaxInFlight: UInt32 = 1000
    static let defaultAckTimeoutMilliseconds: UInt32 = 30_000
    static let defaultMaxDeliveries: UInt16 = 5
    static let fileName = "group.json"

    enum CodingKeys: String, CodingKey {
        case version, topic, group
        case maxInFlight = "max_in_flight"
        case ackTimeoutMilliseconds = "ack_timeout_ms"
        case maxDeliveries = "max_deliveries"
        case deadLetterTopic = "dead_letter_topic"
        case createdAt = "created_at_ns"
    }

    init(topic: String, group: String, requested: WireGroupSettings) throws {
        self.topic = topic
        self.group = group
        maxInFlight = requested.maxInFlight == 0 ? Self.defaultMaxInFlight : requested.maxInFlight
        ackTimeoutMilliseconds =
            requested.ackTimeoutMilliseconds == 0 ? Self.defaultAckTimeoutMilliseconds : requested.ackTimeoutMilliseconds
        maxDeliveries = requested.maxDeliveries == 0 ? Self.defaultMaxDeliveries : requested.maxDeliveries
        deadLetterTopic = requested.deadLetterTopic.isEmpty ? topic + ".dlq" : requested.deadLetterTopic
        createdAt = currentTimeNanoseconds()
        guard maxInFlight <= 1_000_000 else {
            throw ProtocolError(.invalidRequest, "max_in_flight \(maxInFlight) is above the limit of 1000000")
        }
        try SafeName.validate(deadLetterTopic, kind: "dead-letter topic")
        guard deadLetterTopic != topic else {
            throw ProtocolError(.invalidRequest, "the dead-letter topic must differ from the topic \(topic)")
        }
    }

    var wire: WireGroupSettings {
        WireGroupSettings(
            maxInFlight: maxInFlight, ackTimeoutMilliseconds: ackTimeoutMilliseconds, maxDeliveries: maxDeliveries,
            deadLetterTopic: deadLetterTopic)
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileIO.writeAtomically([UInt8](try encoder.encode(self)) + [UInt8(ascii: "\n")], to: directory + "/" + Self.fileName)
    }

    static func read(from directory: String) throws -> GroupSettings {
        let path = directory + "/" + fileName
        do {
            return try JSONDecoder().decode(GroupSettings.self, from: Data(try FileIO.readAll(path)))
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError.invalidConfiguration("\(path) is not valid group metadata: \(error)")
        }
    }
}
