import Foundation

/// The contents of a topic's `topic.json`: its name and configuration.
public struct TopicMetadata: Sendable, Hashable, Codable {
    /// The metadata format version.
    public var version: Int = 1
    /// The topic's name.
    public var name: String
    /// When the topic was created, in nanoseconds since the Unix epoch.
    public var createdAt: Int64
    /// Its configuration.
    public var configuration: RecordLogConfiguration
    /// The uid of the client that created it, which per-user topic limits count; absent for
    /// topics created offline, by the daemon itself, or before owners were recorded.
    public var ownerUID: UInt32?

    enum CodingKeys: String, CodingKey {
        case version, name
        case createdAt = "created_at_ns"
        case configuration = "config"
        case ownerUID = "owner_uid"
    }

    static let fileName = "topic.json"

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = try [UInt8](encoder.encode(self)) + [UInt8(ascii: "\n")]
        try FileIO.writeAtomically(bytes, to: directory + "/" + Self.fileName)
    }

    static func read(from directory: String) throws -> TopicMetadata {
        let path = directory + "/" + fileName
        let bytes = try FileIO.readAll(path)
        let metadata: TopicMetadata
        do {
            metadata = try JSONDecoder().decode(TopicMetadata.self, from: Data(bytes))
        } catch {
            throw StorageError.invalidConfiguration("\(path) is not valid topic metadata: \(error)")
        }
        guard metadata.version == 1 else {
            throw StorageError.invalidConfiguration("\(path) has version \(metadata.version); this immutad reads version 1")
        }
        do { try metadata.configuration.validate() } catch {
            throw StorageError.invalidConfiguration("\(path): \(error)")
        }
        return metadata
    }
}
