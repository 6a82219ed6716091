import ImmutaServer
import ImmutaStorage
import ImmutaSystemd
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Wires the server to systemd: the listening socket (inherited or bound), READY/STATUS/STOPPING,
/// the watchdog, and SIGHUP reloads.
struct Daemon {
    let settings: DaemonSettings
    let configPath: String?
    let commandLine: Immutad
    let logger: Logger
    let notifier = SystemdNotifier()

    func run() async throws {
        let configuration = settings.server
        let lock = try DataDirectoryLock(dataDirectory: configuration.dataDirectory, mode: .owner)
        defer { lock.release() }
        if let old = try DataDirectoryPermissions.restrict(configuration.dataDirectory) {
            logger.notice(
                "made the data directory private: it was readable by others, around the access rules",
                metadata: ["directory": "\(configuration.dataDirectory)", "old_mode": "\(String(old, radix: 8))", "mode": "700"])
        }
        let listen: ListenSource
        if let inherited = try notifier.listenedSockets().first {
            listen = .inheritedDescriptor(inherited.fileDescriptor)
            logger.info("using the socket passed by systemd", metadata: ["name": "\(inherited.name)"])
        } else {
            listen = .path(configuration.socketPath)
        }
        // Recovery happens here, before the socket accepts anything. Under socket activation,
        // clients that connect meanwhile wait in the listen backlog and are served once ready.
        let broker = try Broker(configuration: configuration, logger: logger)
        for note in broker.applyTopicOverrides(settings.topics) { logger.info("\(note)") }
        AccessSummary.log(settings, logger: logger)
        await broker.applyMirroring(settings.mirroring)
        let notifier = self.notifier
        let logger = self.logger
        let ready = ReadySignal()
        let server = ImmutaServer(
            broker: broker, listen: listen, logger: logger,
            onReady: {
                _ = try? notifier.ready()
                ready.fire()
                logger.info("ready", metadata: ["topics": "\(broker.store.list().count)"])
            },
            onStopping: { _ = try? notifier.stopping() })

        // The group shuts services down in reverse order: the server goes last in the list so that
        // it stops first, the moment SIGTERM arrives.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        services.append(
            .init(service: StatusReporter(broker: broker, server: server, notifier: notifier, ready: ready), successTerminationBehavior: .ignore))
        services.append(
            .init(
                service: Reloader(current: settings, configPath: configPath, commandLine: commandLine, broker: broker, notifier: notifier, logger: logger),
                successTerminationBehavior: .ignore))
        if let pinger = try WatchdogPinger.fromEnvironment(
            notifier: notifier, logger: logger,
            healthCheck: { [server] in
                let interval = (try? notifier.watchdogInterval) ?? nil ?? .seconds(30)
                return await server.isHealthy(timeout: interval / 4, writerLimit: interval)
            })
        {
            logger.info("watchdog enabled", metadata: ["interval": "\(pinger.interval)"])
            services.append(.init(service: WatchdogService(pinger: pinger, ready: ready), successTerminationBehavior: .ignore))
        }
        services.append(.init(service: server))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Runs the watchdog pinger until shutdown.
struct WatchdogService: Service {
    let pinger: WatchdogPinger
    let ready: ReadySignal

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready.wait()
            await pinger.run()
        }
    }
}
