import ImmutaStorage
import Yams

extension Reader {
    /// Reads the `access` section: `grants` and `limits` (docs/SECURITY.md).
    func access(_ node: Node) throws(ConfigError) -> AccessPolicy {
        guard case .mapping(let mapping) = node else { throw error(node, "access", "must be a mapping with grants and limits") }
        var policy = AccessPolicy()
        for (keyNode, value) in mapping {
            let key = try key(keyNode)
            switch key {
            case "grants":
                for (index, entry) in try list(value, "access.grants").enumerated() {
                    policy.grants.append(try grant(entry, number: index + 1))
                }
            case "limits":
                for (index, entry) in try list(value, "access.limits").enumerated() {
                    policy.limits.append(try identityLimit(entry, number: index + 1))
                }
            default:
                throw error(keyNode, "access.\(key)", "is not an access setting; known: grants, limits")
            }
        }
        return policy
    }

    func list(_ node: Node, _ setting: String) throws(ConfigError) -> [Node] {
        if node.null != nil { return [] }
        guard case .sequence(let sequence) = node else { throw error(node, setting, "must be a list") }
        return Array(sequence)
    }

    func strings(_ node: Node, _ setting: String) throws(ConfigError) -> [String] {
        if case .scalar = node { return [try string(node, setting)] }
        var result: [String] = []
        for item in try list(node, setting) { result.append(try string(item, setting)) }
        return result
    }

    /// `users` and `groups` of a grant or limit: names, ids (all digits), or `*` for everyone.
    private func subjects(_ mapping: Node.Mapping, _ setting: String, at node: Node) throws(ConfigError) -> [AccessSubject] {
        var subjects: [AccessSubject] = []
        for (keyNode, value) in mapping {
            let key = try key(keyNode)
            guard key == "users" || key == "groups" else { continue }
            for name in try strings(value, "\(setting).\(key)") {
                if name == "*" {
                    subjects.append(.anyone)
                } else if let id = UInt32(name) {
                    subjects.append(key == "users" ? .uid(id) : .gid(id))
                } else if name.allSatisfy({ $0.isLetter || $0.isNumber || "._-$".contains($0) }), name.count <= 256 {
                    subjects.append(key == "users" ? .userName(name) : .groupName(name))
                } else {
                    throw error(value, "\(setting).\(key)", "\(name) is not a user or group name, a numeric id, or *")
                }
            }
        }
        guard !subjects.isEmpty else {
            throw error(node, setting, "names nobody: give users, groups or both (names, numeric ids, or \"*\" for every user)")
        }
        return subjects
    }

    private func patterns(_ node: Node, _ setting: String) throws(ConfigError) -> [NamePattern] {
        let texts = try strings(node, setting)
        guard !texts.isEmpty else { throw error(node, setting, "must list at least one name or glob (\"*\" for all)") }
        var patterns: [NamePattern] = []
        for text in texts {
            let pattern = NamePattern(text)
            if !pattern.isGlob {
                do { try SafeName.validate(text) } catch { throw self.error(node, setting, "\(text): \(error)") }
            } else if text.utf8.count > 255 {
                throw error(node, setting, "the glob \(text) is longer than 255 bytes")
            }
            patterns.append(pattern)
        }
        return patterns
    }

    private func grant(_ node: Node, number: Int) throws(ConfigError) -> AccessGrant {
        let setting = "access.grants[\(number)]"
        guard case .mapping(let mapping) = node else {
            throw error(node, setting, "must be a mapping with users or groups, allow and topics")
        }
        var label = "grant \(number)"
        var operations: Set<AccessOperation> = []
        var topics: [NamePattern]?
        var consumerGroups: [NamePattern]?
        for (keyNode, value) in mapping {
            let key = try key(keyNode)
            switch key {
            case "name": label = "grant \"\(try string(value, "\(setting).name"))\""
            case "users", "groups": break
            case "allow":
                for word in try strings(value, "\(setting).allow") {
                    if word == "all" {
                        operations.formUnion(AccessOperation.allCases)
                    } else if let operation = AccessOperation(rawValue: word) {
                        operations.insert(operation)
                    } else {
                        throw error(value, "\(setting).allow", "\(word) is not produce, consume, admin or all")
                    }
                }
            case "topics": topics = try patterns(value, "\(setting).topics")
            case "consumer_groups": consumerGroups = try patterns(value, "\(setting).consumer_groups")
            default:
                throw error(keyNode, "\(setting).\(key)", "is not a grant setting; known: name, users, groups, allow, topics, consumer_groups")
            }
        }
        let subjects = try subjects(mapping, setting, at: node)
        guard !operations.isEmpty else { throw error(node, "\(setting).allow", "is missing: list produce, consume, admin or all") }
        guard let topics else { throw error(node, "\(setting).topics", "is missing: list topic names or globs (\"*\" for all)") }
        if consumerGroups != nil, !operations.contains(.consume) {
            throw error(node, "\(setting).consumer_groups", "applies to consume, which this grant does not allow")
        }
        return AccessGrant(label: label, subjects: subjects, operations: operations, topics: topics, consumerGroups: consumerGroups)
    }

    private func identityLimit(_ node: Node, number: Int) throws(ConfigError) -> IdentityLimitRule {
        let setting = "access.limits[\(number)]"
        guard case .mapping(let mapping) = node else { throw error(node, setting, "must be a mapping with users or groups and limits") }
        var rule = IdentityLimitRule(label: "\(number)", subjects: [])
        for (keyNode, value) in mapping {
            let key = try key(keyNode)
            let name = "\(setting).\(key)"
            switch key {
            case "name": rule.label = "\"\(try string(value, name))\""
            case "users", "groups": break
            case "max_connections": rule.maxConnections = Int(try integer(value, name, range: IdentityLimitRule.ranges[key]!))
            case "max_topics": rule.maxTopics = Int(try integer(value, name, range: IdentityLimitRule.ranges[key]!))
            case "max_groups": rule.maxGroups = Int(try integer(value, name, range: IdentityLimitRule.ranges[key]!))
            case "max_queued_reply_bytes":
                rule.maxQueuedReplyBytes = Int(try size(value, name, range: ServerLimits.queuedReplyBytesRange))
            default:
                throw error(
                    keyNode, name,
                    "is not a per-user limit; known: name, users, groups, max_connections, max_queued_reply_bytes, max_topics, max_groups")
            }
        }
        rule.subjects = try subjects(mapping, setting, at: node)
        if rule.maxConnections == nil, rule.maxQueuedReplyBytes == nil, rule.maxTopics == nil, rule.maxGroups == nil {
            throw error(node, setting, "sets no limit: give max_connections, max_queued_reply_bytes, max_topics or max_groups")
        }
        return rule
    }
}
