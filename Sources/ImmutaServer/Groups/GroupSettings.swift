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
    /// The uid of the client that created the group, which per-user group limits count (absent
    /// in groups created before owners were recorded).
    var ownerUID: UInt32?

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
        case ownerUID = "owner_uid"
    }

    init(topic: String, group: String, requested: WireGroupSettings, ownerUID: UInt32? = nil) throws {
        self.topic = topic
        self.group = group
        self.ownerUID = ownerUID
        maxInFlight = requested.maxInFlight == 0 ? Self.defaultMaxInFlight : requested.maxInFlight
        ackTimeoutMilliseconds =
            requested.ackTimeoutMilliseconds == 0 ? Self.defaultAckTimeoutMilliseconds : requested.ackTimeoutMilliseconds
        maxDeliveries = requested.maxDeliveries == 0 ? Self.defaultMaxDeliveries : requested.maxDeliveries
        deadLetterTopic = requested.deadLetterTopic.isEmpty ? topic + ".dlq" : requested.deadLetterTopic
        createdAt = currentTimeNanoseconds()
        try validate()
    }

    /// The allowed ranges, checked for settings from a client and from `group.json` alike.
    static let maxInFlightRange: ClosedRange<UInt32> = 1...1_000_000
    static let ackTimeoutRange: ClosedRange<UInt32> = 100...86_400_000
    static let maxDeliveriesRange: ClosedRange<UInt16> = 1...1000

    func validate() throws {
        guard Self.maxInFlightRange.contains(maxInFlight) else {
            throw ProtocolError(.invalidRequest, "max_in_flight \(maxInFlight) must be from 1 to 1000000 (0 asks for the default, 1000)")
        }
        guard Self.ackTimeoutRange.contains(ackTimeoutMilliseconds) else {
            throw ProtocolError(
                .invalidRequest,
                "ack_timeout_ms \(ackTimeoutMilliseconds) must be from 100 ms to 24 h (100 to 86400000; 0 asks for the default, 30000)")
        }
        guard Self.maxDeliveriesRange.contains(maxDeliveries) else {
            throw ProtocolError(.invalidRequest, "max_deliveries \(maxDeliveries) must be from 1 to 1000 (0 asks for the default, 5)")
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
            let settings = try JSONDecoder().decode(GroupSettings.self, from: Data(try FileIO.readAll(path)))
            guard settings.version == 1 else {
                throw StorageError.invalidConfiguration("\(path) has version \(settings.version); this immutad reads version 1")
            }
            try settings.validate()
            return settings
        } catch let error as StorageError {
            throw error
        } catch let error as ProtocolError {
            throw StorageError.invalidConfiguration("\(path) is not valid group metadata: \(error.message)")
        } catch {
            throw StorageError.invalidConfiguration("\(path) is not valid group metadata: \(error)")
        }
    }
}
