import ArgumentParser
import Immuta
import ImmutaStorage

/// `immutactl topic create NAME [options]`.
struct TopicCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a topic.",
        discussion: """
            Options left out take the daemon's defaults. Sizes are bytes, or take a \
            suffix K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000). Durations take ms, s, m, h or d (e.g. 90s, 7d).

            Examples:
              immutactl topic create orders
              immutactl topic create logs --durability none --retention-age 7d
              immutactl topic create media --max-record-bytes 8MiB --retention-bytes 1TB
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The topic's name: 1 to 255 ASCII letters, digits, '.', '_' or '-', not starting with '.'.")
    var name: String

    @Option(help: ArgumentHelp("When writes reach the disk: none, fsync or interval:MS.", valueName: "mode"))
    var durability: String?

    @Option(help: ArgumentHelp("Start a new segment file after this many bytes (at least 4096).", valueName: "size"))
    var segmentBytes: String?

    @Option(help: ArgumentHelp("Delete the oldest segments while the topic holds more than this.", valueName: "size"))
    var retentionBytes: String?

    @Option(help: ArgumentHelp("Delete segments whose newest record is older than this.", valueName: "duration"))
    var retentionAge: String?

    @Option(help: ArgumentHelp("Refuse records larger than this.", valueName: "size"))
    var maxRecordBytes: String?

    func validate() throws {
        try SafeNameCheck.validate(name)
        if let durability {
            do { _ = try Durability(parsing: durability) } catch {
                throw ValidationError(
                    "--durability \(durability) is not none, fsync or interval:MS (MS from 1 to 3600000)")
            }
        }
        _ = try size(segmentBytes, "--segment-bytes")
        _ = try size(retentionBytes, "--retention-bytes")
        _ = try size(maxRecordBytes, "--max-record-bytes")
        _ = try age()
    }

    func run() async throws {
        let options = TopicOptions(
            durability: durability, segmentBytes: try size(segmentBytes, "--segment-bytes"),
            maxRecordBytes: try size(maxRecordBytes, "--max-record-bytes"),
            retentionBytes: try size(retentionBytes, "--retention-bytes"), retentionAge: try age())
        let topic = try await ImmutaClient.with(connection) { try await $0.createTopic(name, options: options) }
        var settings = [
            "durability \(topic.durability)", "segments of \(Quantities.describe(bytes: topic.segmentBytes))",
            "records up to \(Quantities.describe(bytes: topic.maxRecordBytes))",
        ]
        if let bytes = topic.retentionBytes { settings.append("retention \(Quantities.describe(bytes: bytes))") }
        if let ms = topic.retentionMilliseconds {
            settings.append("retention \(Quantities.describe(milliseconds: ms))")
        }
        print("created topic \(topic.name) (\(settings.joined(separator: ", ")))")
    }

    private func size(_ text: String?, _ option: String) throws -> UInt64? {
        guard let text else { return nil }
        guard let value = Quantities.bytes(text), value > 0 else {
            throw ValidationError(
                "\(option) \(text) is not a positive size; use bytes (4096), a K/KiB, M/MiB, G/GiB, T/TiB suffix (64MiB) or KB, MB, GB, TB (1GB)")
        }
        return value
    }

    private func age() throws -> Duration? {
        guard let retentionAge else { return nil }
        guard let ms = Quantities.milliseconds(retentionAge) else {
            throw ValidationError("--retention-age \(Quantities.durationProblem(retentionAge))")
        }
        guard ms > 0 else { throw ValidationError("--retention-age must be more than 0; got \(retentionAge)") }
        return .milliseconds(ms)
    }
}

/// Topic and group names are checked before anything is sent, with the storage engine's own rule.
enum SafeNameCheck {
    static func validate(_ name: String, kind: String = "topic") throws {
        do { try SafeName.validate(name, kind: kind) } catch let error as StorageError {
            if case .invalidName(_, let reason) = error {
                throw ValidationError("invalid \(kind) name \(String(reflecting: name)): \(reason)")
            }
            throw ValidationError("\(error)")
        }
    }

    static func isValid(_ name: String) -> Bool { (try? SafeName.validate(name, kind: "topic")) != nil }
}
