import Dispatch
import Foundation
import ImmutaLocks
import ImmutaStorage
import Logging
import Synchronization

/// Runs the configured mirrors and sources: one ``TopicMirror`` per mirrored topic (topics that
/// match a pattern later are picked up within a second), one ``TopicSource`` per source. Applies
/// a reloaded configuration by restarting only the entries that changed (a new credentials file
/// takes effect that way), and keeps pauses across reloads.
public final class MirrorSupervisor: Sendable {
    struct State {
        var hostID = ""
        var mirrors: [MirrorSettings] = []
        var sources: [SourceSettings] = []
        var topicMirrors: [String: TopicMirror] = [:]
        var topicSources: [String: TopicSource] = [:]
        var paused: Set<String> = []
        /// Topics left out because their mirror had max_topics, each logged once.
        var overLimit: Set<String> = []
        var stopped = false
    }

    let dataDirectory: String
    let store: TopicStore
    let createTopic: @Sendable (String) throws -> Topic
    let logger: Logger
    let state = Locked(State())
    /// Serialises apply, rescans and stop (each may wait for threads to finish).
    let changes = DispatchQueue(label: "immuta.mirrors")
    private let rescanWake = DispatchSemaphore(value: 0)

    /// - Parameter createTopic: makes a source's topic when it does not exist (with the daemon's
    ///   topic defaults).
    public init(dataDirectory: String, store: TopicStore, createTopic: @escaping @Sendable (String) throws -> Topic, logger: Logger) {
        self.dataDirectory = dataDirectory
        self.store = store
        self.createTopic = createTopic
        self.logger = logger
        let thread = Thread { [self] in rescanUntilStopped() }
        thread.name = "mirror topics"
        thread.start()
    }

    /// Starts, restarts or stops mirrors and sources to match `mirrors` and `sources`.
    public func apply(hostID: String, mirrors: [MirrorSettings], sources: [SourceSettings]) {
        changes.sync {
            let removed = state.withLock { state -> [any LinkTask] in
                let hostChanged = state.hostID != hostID
                let oldMirrors = Dictionary(state.mirrors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                let oldSources = Dictionary(state.sources.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                let keptMirrors = Set(mirrors.filter { !hostChanged && oldMirrors[$0.name] == $0 }.map(\.name))
                let keptSources = Set(sources.filter { !hostChanged && oldSources[$0.name] == $0 }.map(\.name))
                var removed: [any LinkTask] = []
                for (key, task) in state.topicMirrors where !keptMirrors.contains(task.settings.name) {
                    removed.append(task)
                    state.topicMirrors[key] = nil
                }
                for (key, task) in state.topicSources where !keptSources.contains(task.settings.name) {
                    removed.append(task)
                    state.topicSources[key] = nil
                }
                state.overLimit = []
                state.hostID = hostID
                state.mirrors = mirrors
                state.sources = sources
                return removed
            }
            stopAll(removed)
            rescan()
        }
    }

    /// Every mirrored topic and every source, sorted by name.
    public func statuses() -> [LinkStatus] {
        let (mirrors, sources) = state.withLock { (Array($0.topicMirrors.values), Array($0.topicSources.values)) }
        let all = mirrors.map { $0.status() } + sources.map { $0.status() }
        return all.sorted { ($0.name, $0.topic) < ($1.name, $1.topic) }
    }

    /// The configured names, to tell an unknown name from one with nothing running yet.
    public var names: Set<String> {
        state.withLock { Set($0.mirrors.map(\.name) + $0.sources.map(\.name)) }
    }

    /// Pauses or resumes a mirror (every topic of it) or a source.
    /// - Returns: false when no mirror or source has that name.
    public func setPaused(_ name: String, _ paused: Bool) -> Bool {
        let tasks = state.withLock { state -> [any LinkTask]? in
            guard state.mirrors.contains(where: { $0.name == name }) || state.sources.contains(where: { $0.name == name }) else { return nil }
            if paused { state.paused.insert(name) } else { state.paused.remove(name) }
            return state.topicMirrors.values.filter { $0.settings.name == name } + state.topicSources.values.filter { $0.settings.name == name }
        }
        guard let tasks else { return false }
        for task in tasks { task.control.setPaused(paused) }
        logger.notice(paused ? "mirror paused" : "mirror resumed", metadata: ["name": "\(name)"])
        return true
    }

    /// Looks for topics to start or stop mirroring now, rather than within the second.
    public func topicsChanged() {
        rescanWake.signal()
    }

    /// Stops every mirror and source, committing their resume points.
    public func stop() {
        changes.sync {
            let tasks = state.withLock { state -> [any LinkTask] in
                state.stopped = true
                defer {
                    state.topicMirrors = [:]
                    state.topicSources = [:]
                }
                return Array(state.topicMirrors.values) + Array(state.topicSources.values)
            }
            rescanWake.signal()
            stopAll(tasks)
        }
    }

    private func stopAll(_ tasks: [any LinkTask]) {
        // Each stop waits for a thread that may be inside a blocking libnats call: in parallel.
        DispatchQueue.concurrentPerform(iterations: tasks.count) { tasks[$0].stop() }
    }

    private func rescanUntilStopped() {
        while !state.withLock({ $0.stopped }) {
            _ = rescanWake.wait(timeout: .now() + .seconds(1))
            changes.sync { rescan() }
            // Looking at every link also logs a lag that passed its warning threshold.
            _ = statuses()
        }
    }
}

/// A mirrored topic or a source, as the supervisor handles them.
protocol LinkTask: Sendable {
    var control: LinkControl { get }
    func stop()
}

extension TopicMirror: LinkTask {}
extension TopicSource: LinkTask {}
