import ImmutaStorage
import Yams

/// Typed reads of configuration values, each error naming the file, line and setting.
struct Reader {
    let file: String

    func error(_ node: Node, _ setting: String, _ reason: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, setting: setting, reason: reason)
    }

    func key(_ node: Node) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else { throw error(node, "(key)", "setting names must be plain words") }
        return scalar.string
    }

    func string(_ node: Node, _ setting: String) throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else { throw error(node, setting, "must be a non-empty string") }
        return scalar.string
    }

    func bool(_ node: Node, _ setting: String) throws(ConfigError) -> Bool {
        guard let value = node.bool else { throw error(node, setting, "must be true or false") }
        return value
    }

    func integer(_ node: Node, _ setting: String, range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
        guard let value = node.int.map(Int64.init), range.contains(value) else {
            throw error(node, setting, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Null (or "none") means no limit.
    func isUnlimited(_ node: Node) -> Bool {
        if node.null != nil { return true }
        if case .scalar(let scalar) = node, ["none", "unlimited"].contains(scalar.string.lowercased()) { return true }
        return false
    }

    /// A size in bytes, in the syntax of `Quantities.bytes` (e.g. 65536, 64KiB, 16MiB).
    func size(_ node: Node, _ setting: String, range: ClosedRange<UInt64>) throws(ConfigError) -> UInt64 {
        let text = (try? string(node, setting)) ?? ""
        guard let value = Quantities.bytes(text), range.contains(value) else {
            throw error(
                node, setting,
                "must be a size from \(range.lowerBound) to \(range.upperBound) bytes, like 65536, 64KiB, 16MiB or 1GiB; got \(text)")
        }
        return value
    }

    /// A duration in the syntax of `Quantities.milliseconds` (e.g. 30s, 7d). Returns milliseconds,
    /// or nil for "none".
    func duration(_ node: Node, _ setting: String) throws(ConfigError) -> Int64? {
        if isUnlimited(node) { return nil }
        let text = (try? string(node, setting)) ?? ""
        guard let value = Quantities.milliseconds(text), value > 0 else {
            throw error(node, setting, "must be a positive duration like 500ms, 30s, 15m, 12h or 7d; got \(text)")
        }
        return value
    }

    func topicOverride(_ node: Node, _ setting: String) throws(ConfigError) -> TopicOverride {
        guard case .mapping(let mapping) = node else { throw error(node, setting, "must be a mapping of topic settings") }
        var result = TopicOverride()
        for (keyNode, value) in mapping {
            let key = try key(keyNode)
            let name = setting + "." + key
            switch key {
            case "durability":
                let text = try string(value, name)
                do { result.durability = try Durability(parsing: text) } catch {
                    throw self.error(value, name, "must be none, fsync or interval:MS; got \(text)")
                }
            case "segment_bytes":
                result.segmentBytes = try size(value, name, range: RecordLogConfiguration.minimumSegmentBytes...(1 << 40))
            case "max_record_bytes":
                result.maxRecordBytes = try size(value, name, range: 1...RecordLogConfiguration.maximumRecordBytes)
            case "retention_bytes":
                result.retentionBytes = isUnlimited(value) ? .some(nil) : .some(try size(value, name, range: 1...UInt64.max))
            case "retention_age":
                let age = try duration(value, name)
                if let age, !RecordLogConfiguration.retentionMillisecondsRange.contains(age) {
                    throw error(value, name, "must be between 1s and 100 years (36525d), or none; got \(age) ms")
                }
                result.retentionMilliseconds = .some(age)
            default:
                throw error(
                    keyNode, name, "is not a topic setting; known: durability, segment_bytes, max_record_bytes, retention_bytes, retention_age")
            }
        }
        return result
    }
}
