/// How to reach a NATS system: its servers and how to prove who we are.
public struct NatsEndpoint: Sendable, Hashable {
    /// Server URLs (`nats://host:port`, or `tls://…`); the connection fails over between them.
    public var servers: [String]
    /// A credentials file (`.creds`: a user JWT and its nkey seed), for decentralized auth.
    public var credentialsFile: String?
    /// An nkey user: its public key (`U…`) and the file holding its seed.
    public var nkey: NKey?
    /// TLS: trusted CAs, a client certificate, the name the server's certificate must carry.
    public var tls: TLS?

    public struct NKey: Sendable, Hashable {
        public var publicKey: String
        public var seedFile: String
        public init(publicKey: String, seedFile: String) {
            self.publicKey = publicKey
            self.seedFile = seedFile
        }
    }

    public struct TLS: Sendable, Hashable {
        public var caFile: String?
        public var certificateFile: String?
        public var keyFile: String?
        public var serverName: String?
        public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, serverName: String? = nil) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.serverName = serverName
        }
    }

    public init(servers: [String], credentialsFile: String? = nil, nkey: NKey? = nil, tls: TLS? = nil) {
        self.servers = servers
        self.credentialsFile = credentialsFile
        self.nkey = nkey
        self.tls = tls
    }
}
