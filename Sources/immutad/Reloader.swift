import ImmutaServer
import ImmutaSystemd
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP, framed by RELOADING=1 and READY=1: applies what can
/// change while running (log level, topic defaults, limits, per-topic retention and durability)
/// and logs what needs a restart. A configuration that does not parse is refused as a whole.
struct Reloader: Service {
    let current: DaemonSettings
    let configPath: String?
    let commandLine: Immutad
    let broker: Broker
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        var active = current
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            _ = try? notifier.reloading()
            logger.notice("reloading the configuration", metadata: ["file": "\(configPath ?? "(none)")"])
            do {
                let fresh = try commandLine.settings()
                let notApplied = active.restartOnlyChanges(comparedTo: fresh)
                var configuration = broker.configuration
                configuration.topicDefaults = fresh.server.topicDefaults
                // Limits apply to what comes next: nothing open is closed to honour a lower one.
                configuration.limits = fresh.server.limits
                configuration.retentionCheckMilliseconds = fresh.server.retentionCheckMilliseconds
                // Access rules apply from each connection's next request; nothing is dropped.
                configuration.access = fresh.server.access
                broker.updateConfiguration(configuration)
                LoggingSetup.level = fresh.logLevel
                AccessSummary.log(fresh, logger: logger)
                for note in broker.applyTopicOverrides(fresh.topics) { logger.notice("\(note)") }
                // Entries that changed restart with their new settings (a rotated credentials
                // file, say); the others keep running.
                await broker.applyMirroring(fresh.mirroring)
                if !notApplied.isEmpty {
                    logger.warning(
                        "some settings need a restart to take effect", metadata: ["settings": "\(notApplied.joined(separator: ", "))"])
                }
                active = fresh
                logger.notice("configuration reloaded", metadata: ["log_level": "\(fresh.logLevel)"])
                _ = try? notifier.ready()
            } catch {
                logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
                _ = try? notifier.ready()
                _ = try? notifier.status("reload failed: \(error)")
            }
        }
    }
}
