import Dispatch
import ImmutaMirror
import ImmutaProtocol
import ImmutaStorage
import Synchronization

extension Broker {
    /// Starts, changes or stops mirrors and sources to match the configuration (at start and on
    /// reload). Waits for the threads of removed or changed entries to stop, off the caller's
    /// executor: a libnats call may hold one for seconds.
    public func applyMirroring(_ configuration: MirrorConfiguration) async {
        guard !configuration.mirrors.isEmpty || !configuration.sources.isEmpty || mirrorSupervisor.withLock({ $0 }) != nil else { return }
        let supervisor = mirrorSupervisor.withLock { current in
            if let current { return current }
            let made = MirrorSupervisor(
                dataDirectory: self.configuration.dataDirectory, store: store,
                createTopic: { [unowned self] name in try createTopic(name, config: WireTopicConfig()) }, logger: logger)
            current = made
            return made
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                supervisor.apply(hostID: configuration.hostID, mirrors: configuration.mirrors, sources: configuration.sources)
                continuation.resume()
            }
        }
    }

    /// Every mirrored topic and source.
    public func mirrorStatuses() -> [LinkStatus] {
        mirrorSupervisor.withLock { $0 }?.statuses() ?? []
    }

    /// The systemd status line's part about mirrors: the largest lag, when any mirror runs.
    public func mirrorSummary() -> String? {
        let statuses = mirrorStatuses()
        guard !statuses.isEmpty else { return nil }
        let mirrors = statuses.filter { $0.kind == .mirror }
        let worst = mirrors.max { $0.lagMilliseconds < $1.lagMilliseconds }
        let troubled = statuses.filter { $0.phase == .error || $0.phase == .disconnected }.count
        var text = "\(statuses.count) mirror link" + (statuses.count == 1 ? "" : "s")
        if let worst { text += ", mirror lag \(worst.lagRecords) records/\(worst.lagMilliseconds) ms (max)" }
        if troubled > 0 { text += ", \(troubled) in error or disconnected" }
        return text
    }
}

extension LinkStatus {
    var wire: WireMirror {
        WireMirror(
            isSource: kind == .source, name: name, topic: topic, stream: stream, target: target, state: phase.rawValue, position: position,
            topicEnd: topicEnd, lagRecords: lagRecords, lagMilliseconds: lagMilliseconds,
            milliRecordsPerSecond: UInt64(max(0, recordsPerSecond * 1000)), records: records, duplicates: duplicates, rewinds: rewinds,
            lastError: lastError, lastErrorAt: lastErrorAt)
    }
}
