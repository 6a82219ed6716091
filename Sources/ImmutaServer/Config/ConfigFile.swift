import Foundation
import ImmutaStorage
import Logging
import Yams

/// A configuration file that could not be used: the file, the line, the setting and why.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The line (1-based), when known.
    public var line: Int?
    /// The setting, when the problem is one setting's.
    public var setting: String?
    /// What is wrong and what is allowed.
    public var reason: String

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let setting { text += ": \(setting)" }
        return text + ": " + reason
    }
}

/// Reads immutad's configuration file (YAML, see etc/immuta.conf). Parsed with Yams, then checked
/// key by key so that every error names its line and setting; unknown keys are errors too, so a
/// typo is never silently ignored.
public enum ConfigFile {
    /// Reads and checks `path`, starting from `base` for what the file leaves out.
    public static func load(_ path: String, base: DaemonSettings = .runInPlace) throws(ConfigError) -> DaemonSettings {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, setting: nil, reason: "cannot be read: \(error.localizedDescription)")
        }
        return try parse(text, file: path, base: base)
    }

    /// Parses configuration text.
    public static func parse(_ text: String, file: String, base: DaemonSettings = .runInPlace) throws(ConfigError) -> DaemonSettings {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: line(of: error), setting: nil, reason: "is not valid YAML: \(problem(of: error))")
        } catch {
            throw ConfigError(file: file, line: nil, setting: nil, reason: "is not valid YAML: \(error)")
        }
        var settings = base
        // A configuration file grants what it says and nothing more: never the run-in-place grant.
        settings.server.access = AccessPolicy()
        settings.accessNote = nil
        guard let root else { return settings }
        guard case .mapping(let mapping) = root else {
            throw ConfigError(file: file, line: root.mark?.line, setting: nil, reason: "must be a mapping of setting: value")
        }
        let reader = Reader(file: file)
        for (key, value) in mapping {
            let name = try reader.key(key)
            switch name {
            case "data_dir": settings.server.dataDirectory = try reader.string(value, name)
            case "socket": settings.server.socketPath = try reader.string(value, name)
            case "socket_mode":
                let mode = try reader.string(value, name)
                guard let parsed = UInt16(mode, radix: 8), parsed <= 0o777 else {
                    throw reader.error(value, name, "must be an octal mode such as \"0660\", got \(mode)")
                }
                settings.server.socketMode = parsed
            case "socket_group": settings.server.socketGroup = try reader.string(value, name)
            case "access": settings.server.access = try reader.access(value)
            case "log_level":
                let level = try reader.string(value, name)
                guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                    throw reader.error(value, name, "must be one of trace, debug, info, notice, warning, error, critical; got \(level)")
                }
                settings.logLevel = parsed
            case "journal": settings.forceJournal = try reader.bool(value, name)
            case "max_frame_bytes":
                settings.server.maxFrameLength = Int(try reader.size(value, name, range: 65_536...(1 << 30)))
            case _ where ServerLimits.keys.contains(name):
                try reader.limit(name, value, into: &settings.server.limits)
            case "event_loop_threads": settings.server.eventLoopThreads = Int(try reader.integer(value, name, range: 0...256))
            case "io_threads": settings.server.ioThreads = Int(try reader.integer(value, name, range: 1...1024))
            case "retention_check_interval":
                settings.server.retentionCheckMilliseconds = try reader.duration(value, name) ?? 60_000
            case "topic_defaults":
                settings.server.topicDefaults = try reader.topicOverride(value, name).applied(to: settings.server.topicDefaults)
                do { try settings.server.topicDefaults.validate() } catch {
                    throw reader.error(value, name, "\(error)")
                }
            case "topics":
                guard case .mapping(let topics) = value else { throw reader.error(value, name, "must map topic names to settings") }
                for (topicKey, topicValue) in topics {
                    let topic = try reader.key(topicKey)
                    do { try SafeName.validate(topic) } catch { throw reader.error(topicKey, "topics.\(topic)", "\(error)") }
                    settings.topics[topic] = try reader.topicOverride(topicValue, "topics.\(topic)")
                }
            case "host_id": settings.mirroring.hostID = try reader.hostID(value)
            case "mirrors": settings.mirroring.mirrors = try reader.mirrors(value)
            case "sources": settings.mirroring.sources = try reader.sources(value)
            default:
                throw reader.error(
                    key, name,
                    "is not a setting; known settings: data_dir, socket, socket_mode, socket_group, access, log_level, journal, max_frame_bytes, \(ServerLimits.keys.joined(separator: ", ")), event_loop_threads, io_threads, retention_check_interval, topic_defaults, topics, host_id, mirrors, sources")
            }
        }
        if let problem = settings.server.inconsistency() {
            throw ConfigError(file: file, line: nil, setting: nil, reason: problem)
        }
        return settings
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        case .duplicatedKeysInMapping(let duplicates, _): "duplicate settings \(duplicates.joined(separator: ", "))"
        default: "\(error)"
        }
    }
}
