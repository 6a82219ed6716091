import ImmutaLocks
import ImmutaProtocol
import ImmutaStorage
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon takes connections from.
public enum ListenSource: Sendable, Hashable {
    /// Bind this Unix socket path (replacing a stale socket file) and remove it at shutdown.
    case path(String)
    /// A listening socket inherited from systemd socket activation.
    case inheritedDescriptor(CInt)
}

/// The daemon as a swift-service-lifecycle `Service`: it serves the broker over a Unix socket
/// until graceful shutdown, then stops accepting, lets in-flight acknowledgements finish, flushes
/// and closes every topic, and removes the socket file it created.
public final class ImmutaServer: Service, Sendable {
    private let broker: Broker
    private let listen: ListenSource
    private let logger: Logger
    private let onReady: @Sendable () -> Void
    private let onStopping: @Sendable () -> Void
    private let connections = Locked<[ObjectIdentifier: any Channel]>([:])
    private let eventLoops = Locked<MultiThreadedEventLoopGroup?>(nil)

    /// Creates the server.
    ///
    /// - Parameters:
    ///   - onReady: called once the socket accepts connections (for READY=1).
    ///   - onStopping: called when graceful shutdown begins (for STOPPING=1).
    public init(
        broker: Broker, listen: ListenSource, logger: Logger, onReady: @escaping @Sendable () -> Void = {},
        onStopping: @escaping @Sendable () -> Void = {}
    ) {
        self.broker = broker
        self.listen = listen
        self.logger = logger
        self.onReady = onReady
        self.onStopping = onStopping
    }

    /// Whether every event loop answers within `timeout` and no topic writer has been inside one
    /// append for longer than `writerLimit`: the watchdog's health check.
    public func isHealthy(timeout: Duration, writerLimit: Duration) async -> Bool {
        let limit = writerLimit.components.seconds * 1_000_000_000 + writerLimit.components.attoseconds / 1_000_000_000
        guard broker.longestWriterStallNanoseconds < limit else { return false }
        guard let group = eventLoops.withLock({ $0 }) else { return false }
        let loops = Array(group.makeIterator())
        return await withTaskGroup(of: Bool.self) { tasks in
            for loop in loops {
                tasks.addTask { (try? await loop.submit {}.get()) != nil }
            }
            tasks.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            var answered = 0
            while let result = await tasks.next() {
                guard result else {
                    tasks.cancelAll()
                    return false
                }
                answered += 1
                if answered == loops.count {
                    tasks.cancelAll()
                    return true
                }
            }
            return false
        }
    }

    /// Open client connections.
    public var connectionCount: Int { connections.withLock { $0.count } }

    public func run() async throws {
        let configuration = broker.configuration
        let threads = configuration.eventLoopThreads > 0 ? configuration.eventLoopThreads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        eventLoops.withLock { $0 = group }
        let broker = self.broker
        let logger = self.logger
        let queued = configuration.limits.maxQueuedReplyBytes
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // The socket counts as full once this much is queued for it: the handler stops
            // producing replies then (back-pressure), so a client that never reads costs at most
            // about this much memory.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: queued / 2, high: queued))
            // A client that shuts down its side inside a frame gets ERROR malformed_frame first.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    self.track(channel)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameLength: configuration.maxFrameLength)))
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(broker: broker, logger: logger))
                }
            }

        let server: any Channel
        var ownership: SocketOwnership?
        switch listen {
        case .path(let path):
            var owner = SocketOwnership(path: path)
            try owner.claim()
            do {
                server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
            } catch {
                try? await group.shutdownGracefully()
                throw SocketPathError(path: path, reason: Self.bindFailure(error, path: path))
            }
            owner.bound()
            ownership = owner
            do {
                if let note = try owner.grantAccess(mode: configuration.socketMode, group: configuration.socketGroup) {
                    logger.notice("\(note)", metadata: ["socket": "\(path)"])
                }
            } catch {
                owner.release()
                try? await server.close().get()
                try? await group.shutdownGracefully()
                throw error
            }
        case .inheritedDescriptor(let descriptor):
            server = try await bootstrap.withBoundSocket(descriptor).get()
        }
        logger.info("accepting connections", metadata: ["socket": "\(listenDescription)"])
        onReady()

        let retention = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(broker.configuration.retentionCheckMilliseconds))
                if Task.isCancelled { break }
                broker.enforceRetention()
            }
        }

        let ackTimeouts = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                broker.groups.expireAcks()
            }
        }

        await withGracefulShutdownHandler {
            try? await server.closeFuture.get()
        } onGracefulShutdown: { [onStopping] in
            onStopping()
            server.close(promise: nil)
        }
        logger.info("shutting down: no longer accepting connections")
        retention.cancel()
        ackTimeouts.cancel()
        try? await server.closeFuture.get()

        // Flushing every topic completes the acknowledgements still waiting for a flush; give
        // their responses a moment to reach the clients before the connections close.
        var closeError: (any Error)?
        do { try broker.close() } catch { closeError = error }
        let open = connections.withLock { Array($0.values) }
        for channel in open {
            _ = try? await channel.eventLoop.submit { channel.flush() }.get()
            try? await channel.close().get()
        }
        if !(await broker.finishQueuedJobs(within: .seconds(10))) {
            logger.warning("stopping with jobs still running on the I/O threads after 10 s (a stalled disk?)")
        }
        ownership?.release()
        eventLoops.withLock { $0 = nil }
        try await group.shutdownGracefully()
        logger.info("stopped")
        if let closeError { throw closeError }
    }

    private var listenDescription: String {
        switch listen {
        case .path(let path): path
        case .inheritedDescriptor(let fd): "inherited descriptor \(fd)"
        }
    }

    /// Keeps the channel for shutdown. The connection limits are applied by the handler, once the
    /// kernel has said who connected, so a refused client still gets an ERROR saying why.
    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// What a failed bind means for an operator.
    private static func bindFailure(_ error: any Error, path: String) -> String {
        if let error = error as? IOError {
            let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
            switch error.errnoCode {
            case ENOENT where access(directory, F_OK) == 0:
                return "cannot be created in \(directory) (a file system that takes no sockets, such as /proc); choose another --socket"
            case ENOENT: return "cannot be created: its directory does not exist; create it or choose another --socket"
            case EACCES, EPERM: return "cannot be created: permission denied in its directory"
            case EADDRINUSE: return "is in use by another process"
            case ENOTDIR: return "cannot be created: part of its directory path is a file, not a directory; choose another --socket"
            case EROFS: return "cannot be created: its directory is on a read-only file system; choose another --socket"
            default: return "cannot be bound: \(String(cString: strerror(error.errnoCode))); choose another --socket"
            }
        }
        if case .unixDomainSocketPathTooLong = error as? SocketAddressError {
            return "is too long for a Unix socket (at most 107 bytes); choose a shorter path"
        }
        return "cannot be bound: \(error)"
    }
}
