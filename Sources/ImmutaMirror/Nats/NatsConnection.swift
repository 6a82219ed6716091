import CNats
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// One connection to a NATS system and its JetStream context, used from one thread (libnats calls
/// block: a connection never runs on an event loop or the Swift concurrency pool).
///
/// The connection reconnects by itself, forever, across the endpoint's servers; publishes made
/// while it is away wait in libnats' reconnect buffer.
final class NatsConnection {
    let connection: OpaquePointer
    let context: OpaquePointer
    /// What `context`'s callbacks hold on to (passed as their closure pointer).
    private let events: Unmanaged<ConnectionEvents>

    /// Connects. `publishAcks` receives async publish acknowledgements on libnats' reply thread
    /// (see ``onPublishAck``); `window` bounds the publishes in flight, and a publish waits up to
    /// `stallMilliseconds` for room before it fails with a timeout.
    init(
        endpoint: NatsEndpoint, clientName: String, events: ConnectionEvents, publishAcks: PublishTracker? = nil, window: Int = 256,
        stallMilliseconds: Int64 = 1000, requestTimeoutMilliseconds: Int64 = 5000
    ) throws(NatsError) {
        var options: OpaquePointer?
        try NatsError.check(natsOptions_Create(&options), "natsOptions_Create")
        defer { natsOptions_Destroy(options) }
        try Self.configure(options, endpoint: endpoint, clientName: clientName)
        let retained = Unmanaged.passRetained(events)
        let closure = retained.toOpaque()
        try NatsError.check(natsOptions_SetDisconnectedCB(options, onDisconnected, closure), "disconnected callback")
        try NatsError.check(natsOptions_SetReconnectedCB(options, onReconnected, closure), "reconnected callback")
        var connection: OpaquePointer?
        do {
            try NatsError.check(natsConnection_Connect(&connection, options), "connecting to \(endpoint.servers.joined(separator: ", "))")
        } catch {
            retained.release()
            throw error
        }
        var jetStreamOptions = jsOptions()
        jsOptions_Init(&jetStreamOptions)
        jetStreamOptions.Wait = requestTimeoutMilliseconds
        if let publishAcks {
            jetStreamOptions.PublishAsync.MaxPending = Int64(window)
            jetStreamOptions.PublishAsync.StallWait = stallMilliseconds
            jetStreamOptions.PublishAsync.AckHandler = onPublishAck
            // The tracker's owner holds a retained reference for the callbacks and releases it
            // a minute after its last connection closed (TopicMirror.stop).
            jetStreamOptions.PublishAsync.AckHandlerClosure = Unmanaged.passUnretained(publishAcks).toOpaque()
        }
        var context: OpaquePointer?
        do {
            try NatsError.check(natsConnection_JetStream(&context, connection, &jetStreamOptions), "JetStream context")
        } catch {
            natsConnection_Destroy(connection)
            retained.release()
            throw error
        }
        self.connection = connection!
        self.context = context!
        self.events = retained
    }

    /// Closes the connection. libnats may still deliver a queued callback (a disconnect, an
    /// acknowledgement) on its own threads for a moment after this, and does not say when it is
    /// done; the objects those callbacks use are released a minute later (``releaseLater(_:)``).
    func close() {
        jsCtx_Destroy(context)
        natsConnection_Close(connection)
        natsConnection_Destroy(connection)
        Self.releaseLater(events)
    }

    /// Releases a callback context once no libnats callback can still be holding it.
    static func releaseLater<Object: AnyObject & Sendable>(_ object: Unmanaged<Object>) {
        let reference = UncheckedReference(object)
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(60)) { reference.object.release() }
    }

    private static func configure(_ options: OpaquePointer?, endpoint: NatsEndpoint, clientName: String) throws(NatsError) {
        try NatsError.check(natsOptions_SetName(options, clientName), "client name")
        let strings = endpoint.servers.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var servers = strings.map { UnsafePointer<CChar>($0) }
        let set = servers.withUnsafeMutableBufferPointer { natsOptions_SetServers(options, $0.baseAddress, Int32($0.count)) }
        try NatsError.check(set, "servers \(endpoint.servers)")
        try NatsError.check(natsOptions_SetMaxReconnect(options, -1), "reconnect forever")
        try NatsError.check(natsOptions_SetReconnectWait(options, 250), "reconnect wait")
        try NatsError.check(natsOptions_SetTimeout(options, 2000), "connect timeout")
        try NatsError.check(natsOptions_SetPingInterval(options, 5000), "ping interval")
        if let file = endpoint.credentialsFile {
            try NatsError.check(natsOptions_SetUserCredentialsFromFiles(options, file, nil), "credentials file \(file)")
        }
        if let nkey = endpoint.nkey {
            try NatsError.check(natsOptions_SetNKeyFromSeed(options, nkey.publicKey, nkey.seedFile), "nkey seed file \(nkey.seedFile)")
        }
        if let tls = endpoint.tls {
            try NatsError.check(natsOptions_SetSecure(options, true), "TLS")
            if let ca = tls.caFile { try NatsError.check(natsOptions_LoadCATrustedCertificates(options, ca), "TLS CA file \(ca)") }
            if let certificate = tls.certificateFile, let key = tls.keyFile {
                try NatsError.check(natsOptions_LoadCertificatesChain(options, certificate, key), "TLS certificate \(certificate) and key \(key)")
            }
            if let name = tls.serverName { try NatsError.check(natsOptions_SetExpectedHostname(options, name), "TLS server name") }
        }
    }
}

/// An unmanaged reference carried into a delayed release. Sendable because the object is, and the
/// retain count it stands for is touched once, by the release.
struct UncheckedReference<Object: AnyObject & Sendable>: @unchecked Sendable {
    let object: Unmanaged<Object>
    init(_ object: Unmanaged<Object>) { self.object = object }
}
