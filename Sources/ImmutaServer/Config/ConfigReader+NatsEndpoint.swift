import ImmutaMirror
import ImmutaStorage
import Yams

extension Reader {
    /// A `mirrors:` or `sources:` entry as its settings, with the required ones checked.
    func entryFields(_ node: Node, _ setting: String, required: [String]) throws(ConfigError) -> [String: Node] {
        guard case .mapping(let mapping) = node else { throw error(node, setting, "must be a mapping of settings") }
        var fields: [String: Node] = [:]
        for (keyNode, value) in mapping { fields[try key(keyNode)] = value }
        for name in required where fields[name] == nil { throw error(node, setting, "needs \(name)") }
        return fields
    }

    /// A mirror's or source's name: it names a state directory, so it follows the topic name rule.
    func linkName(_ node: Node, _ setting: String) throws(ConfigError) -> String {
        let name = try string(node, setting)
        do { try SafeName.validate(name, kind: "mirror") } catch { throw self.error(node, setting, "\(error)") }
        return name
    }

    /// A duration within `range` milliseconds.
    func boundedDuration(_ node: Node, _ setting: String, range: ClosedRange<Int64>, shown: String) throws(ConfigError) -> Int64 {
        guard let value = try duration(node, setting), range.contains(value) else {
            throw error(node, setting, "must be a duration from \(shown)")
        }
        return value
    }

    /// `servers`, `credentials`, `nkey` and `tls` of an entry.
    func endpoint(_ fields: [String: Node], _ setting: String) throws(ConfigError) -> NatsEndpoint {
        let serversNode = fields["servers"]!
        let servers = try strings(serversNode, setting + ".servers")
        guard !servers.isEmpty, servers.count <= 32 else { throw error(serversNode, setting + ".servers", "must list 1 to 32 server URLs") }
        for url in servers where !["nats://", "tls://", "ws://", "wss://"].contains(where: url.hasPrefix) && url.contains("://") {
            throw error(serversNode, setting + ".servers", "must be URLs like nats://host:4222 or tls://host:4222; got \(url)")
        }
        var endpoint = NatsEndpoint(servers: servers)
        if let node = fields["credentials"] { endpoint.credentialsFile = try string(node, setting + ".credentials") }
        if let node = fields["nkey"] {
            guard case .mapping(let mapping) = node else { throw error(node, setting + ".nkey", "must be a mapping with public and seed_file") }
            var values: [String: String] = [:]
            for (keyNode, value) in mapping {
                let key = try key(keyNode)
                guard ["public", "seed_file"].contains(key) else { throw error(keyNode, setting + ".nkey." + key, "is not an nkey setting; known: public, seed_file") }
                values[key] = try string(value, setting + ".nkey." + key)
            }
            guard let publicKey = values["public"], let seedFile = values["seed_file"] else {
                throw error(node, setting + ".nkey", "needs public (the user's U… key) and seed_file")
            }
            endpoint.nkey = NatsEndpoint.NKey(publicKey: publicKey, seedFile: seedFile)
        }
        if let node = fields["tls"] {
            guard case .mapping(let mapping) = node else { throw error(node, setting + ".tls", "must be a mapping with ca, cert, key, server_name") }
            var tls = NatsEndpoint.TLS()
            for (keyNode, value) in mapping {
                let key = try key(keyNode)
                let name = setting + ".tls." + key
                switch key {
                case "ca": tls.caFile = try string(value, name)
                case "cert": tls.certificateFile = try string(value, name)
                case "key": tls.keyFile = try string(value, name)
                case "server_name": tls.serverName = try string(value, name)
                default: throw error(keyNode, name, "is not a TLS setting; known: ca, cert, key, server_name")
                }
            }
            guard (tls.certificateFile == nil) == (tls.keyFile == nil) else { throw error(node, setting + ".tls", "needs both cert and key, or neither") }
            endpoint.tls = tls
        }
        return endpoint
    }
}
