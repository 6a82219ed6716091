import ArgumentParser
import ImmutaProtocol
import ImmutaServer
import ImmutaStorage
import ImmutaSystemd
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// immutad: the Immuta daemon. Reads flags and the configuration file, takes the data directory
/// lock, recovers every topic, then serves until SIGTERM or SIGINT; SIGHUP reloads.
@main
struct Immutad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "immutad",
        abstract: "The Immuta daemon: durable topics for the processes of one host, over a Unix socket.",
        discussion: """
            Without --config it runs in place: data under ./data, socket ./immuta.sock. Under systemd it \
            uses the socket systemd passes (socket activation), reports READY/STATUS/STOPPING, pings the \
            watchdog and logs to the journal.
            """,
        version: immutaVersion)

    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML; see etc/immuta.conf).", valueName: "file"))
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Directory holding topics and group offsets (default ./data, or the config's data_dir).", valueName: "dir"))
    var dataDir: String?

    @Option(
        name: .long, help: ArgumentHelp("Unix socket to listen on when systemd passes none (default ./immuta.sock).", valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String?

    @Flag(name: .long, help: "Log to the systemd journal even when standard error is not connected to it.")
    var journal = false

    @Flag(name: .long, help: "Check the configuration and exit: 0 when it is valid, 78 (and why) when not.")
    var checkConfig = false

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel.lowercased()) == nil {
            throw ValidationError("--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The settings from the config file, then the flags on top.
    func settings() throws -> DaemonSettings {
        var settings = try config.map { path throws(ConfigError) in try ConfigFile.load(path) } ?? .runInPlace
        if let dataDir { settings.server.dataDirectory = dataDir }
        if let socket { settings.server.socketPath = socket }
        if let logLevel, let level = Logger.Level(rawValue: logLevel.lowercased()) { settings.logLevel = level }
        if journal { settings.forceJournal = true }
        return settings
    }

    func run() async throws {
        let settings: DaemonSettings
        do {
            settings = try self.settings()
        } catch let error as ConfigError {
            // Nothing has been touched yet: report and stop.
            FileHandleOutput.standardError("immutad: bad configuration: \(error)\n")
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            FileHandleOutput.standardError("immutad: configuration \(config ?? "(built-in defaults)") is valid\n")
            return
        }
        // Everything immutad creates (data directory, files, its socket) is its user's alone
        // unless the configuration widens it (socket_mode, socket_group): no file is ever
        // created readable by others, whatever umask immutad was started with.
        umask(0o077)
        LoggingSetup.bootstrap(level: settings.logLevel, forceJournal: settings.forceJournal)
        let logger = Logger(label: "immutad")
        if let faults = ProcessEnvironment.string("IMMUTA_TEST_IO_FAULTS") {
            // Tests only: the storage engine's system calls stall or fail as the rules say.
            do {
                IOFaults.install(try IOFaults.parse(faults))
                logger.warning("test hook: injecting I/O faults", metadata: ["rules": "\(faults)"])
            } catch {
                logger.critical("IMMUTA_TEST_IO_FAULTS: \(error)")
                throw ExitCode(78)
            }
        }
        do {
            try await Daemon(settings: settings, configPath: config, commandLine: self, logger: logger).run()
        } catch let error as DataDirectoryLockError {
            let holder = error.holderPID.map { "immutad pid \($0)" } ?? "another process"
            logger.critical(
                "data directory \(settings.server.dataDirectory) is in use by \(holder) (lock \(error.path)); stop it first or choose another --data-dir",
                metadata: error.isHeld ? [:] : ["error": "\(error)"])
            throw ExitCode.failure
        } catch let error as SocketPathError {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }
}
