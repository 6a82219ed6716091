import Foundation
import ImmutaLocks
import Synchronization

/// A throwaway 3-node nats-server JetStream cluster on 127.0.0.1 for the mirroring tests: each
/// node in a temporary directory of its own, tied to the test runner's life (as test daemons are),
/// and stopped by pid.
public final class NatsCluster: Sendable {
    public struct Node: Sendable {
        public let name: String
        public let clientPort: Int
        public let clusterPort: Int
        public let monitorPort: Int
        public let directory: String
        public var url: String { "nats://127.0.0.1:\(clientPort)" }
    }

    public let nodes: [Node]
    private let processes: Locked<[String: Process]>

    /// Client URLs of every node, for a connection that fails over between them.
    public var urls: [String] { nodes.map(\.url) }

    private init(nodes: [Node], processes: [String: Process]) {
        self.nodes = nodes
        self.processes = Locked(processes)
    }

    /// The nats-server binary: Debian installs it in /usr/sbin, off a normal user's PATH.
    public static let executable: String? = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Writes the three nodes' configurations under `directory`, starts them, and waits until every
    /// node knows the JetStream meta leader and is current (`/healthz?js-server-only=true`).
    public static func start(in directory: String, timeout: Duration = .seconds(60)) async throws -> NatsCluster {
        guard executable != nil else { throw DaemonTestError("nats-server is not installed (scripts/setup-deps.sh installs it)") }
        let ports = try FreePorts.take(9)
        let nodes = (0..<3).map { i in
            Node(
                name: "n\(i + 1)", clientPort: ports[i], clusterPort: ports[3 + i], monitorPort: ports[6 + i],
                directory: directory + "/n\(i + 1)")
        }
        let routes = nodes.map { "        nats-route://127.0.0.1:\($0.clusterPort)" }.joined(separator: "\n")
        var processes: [String: Process] = [:]
        for node in nodes {
            try FileManager.default.createDirectory(atPath: node.directory + "/js", withIntermediateDirectories: true)
            let config = """
                server_name: \(node.name)
                listen: 127.0.0.1:\(node.clientPort)
                http: 127.0.0.1:\(node.monitorPort)
                jetstream {
                    store_dir: "\(node.directory)/js"
                    max_memory_store: 64MB
                    max_file_store: 1GB
                }
                cluster {
                    name: immuta-test
                    listen: 127.0.0.1:\(node.clusterPort)
                    routes: [
                \(routes)
                    ]
                }

                """
            try config.write(toFile: node.directory + ".conf", atomically: true, encoding: .utf8)
            processes[node.name] = try await startNode(node)
        }
        let cluster = NatsCluster(nodes: nodes, processes: processes)
        do {
            for node in nodes { try await cluster.waitUntilHealthy(node, timeout: timeout) }
        } catch {
            await cluster.stop()
            throw error
        }
        return cluster
    }

    private static func startNode(_ node: Node) async throws -> Process {
        let process = Process()
        let (launcher, arguments) = try ChildLaunch.command(
            executable!, ["-c", node.directory + ".conf", "-l", node.directory + ".log"])
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = arguments
        process.environment = ChildLaunch.environment(adding: [:])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try await ChildLaunch.run(process)
        return process
    }

    /// Polls the node's health endpoint until JetStream is up with a meta leader. Waits on the
    /// server's own readiness answer, polled every 50 ms, never on a fixed sleep.
    public func waitUntilHealthy(_ node: Node, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = HTTPProbe.status(port: node.monitorPort, path: "/healthz?js-server-only=true"), status == 200 { return }
            guard processes.withLock({ $0[node.name]?.isRunning ?? false }) else {
                throw DaemonTestError("nats-server \(node.name) exited; its log:\n\(Self.tail(node))")
            }
            guard ContinuousClock.now < deadline else {
                throw DaemonTestError("nats-server \(node.name) was not healthy within \(timeout); its log:\n\(Self.tail(node))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The JSON of the node's `/jsz` monitoring endpoint with `query` (e.g. `streams=true`).
    public func jsz(_ node: Node, query: String = "streams=true") -> String? {
        HTTPProbe.body(port: node.monitorPort, path: "/jsz?" + query)
    }

    /// Kills a node with SIGKILL and waits for it to exit, as a crash would.
    public func kill9(_ node: Node) async {
        guard let process = processes.withLock({ $0[node.name] }) else { return }
        kill(process.processIdentifier, SIGKILL)
        await Self.waitForExit(process)
    }

    /// Starts a node again with its configuration and data, and waits until it is healthy.
    public func restart(_ node: Node) async throws {
        let process = try await Self.startNode(node)
        processes.withLock { $0[node.name] = process }
        try await waitUntilHealthy(node)
    }

    /// Starts several nodes again at once (after a quorum loss one alone may not become healthy),
    /// and waits until each is.
    public func restartAll(_ nodes: [Node]) async throws {
        for node in nodes {
            let process = try await Self.startNode(node)
            processes.withLock { $0[node.name] = process }
        }
        for node in nodes { try await waitUntilHealthy(node) }
    }

    /// Stops every node by its pid (SIGTERM, then SIGKILL after 10 s) and waits for each to exit.
    public func stop() async {
        for process in processes.withLock({ Array($0.values) }) where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let stopped = await Self.waitForExit(process, timeout: .seconds(10))
            if !stopped {
                kill(process.processIdentifier, SIGKILL)
                await Self.waitForExit(process)
            }
        }
    }

    @discardableResult
    private static func waitForExit(_ process: Process, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    private static func tail(_ node: Node) -> String {
        let log = (try? String(contentsOfFile: node.directory + ".log", encoding: .utf8)) ?? "(no log)"
        return log.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
