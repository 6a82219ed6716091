import ImmutaLocks
import Synchronization
import ImmutaStorage
import Logging

extension TopicMirror {
    /// The mirror as `immutactl mirror list` shows it; logs a warning the first time the lag
    /// passes the configured threshold (and a note when it is back under).
    func status() -> LinkStatus {
        let now = wallClockMilliseconds()
        let (acked, records, duplicates) = tracker.state.withLock { ($0.highestAcked, $0.acknowledged, $0.duplicates) }
        let control = self.control.state.withLock { $0 }
        let resumePoint = acked.map { $0 + 1 } ?? progress.withLock { $0.resume }
        let end = topic.log.nextOffset
        var lagMilliseconds: Int64 = 0
        if resumePoint < end, let appended = try? topic.log.timestamp(at: resumePoint) {
            lagMilliseconds = max(0, now - appended / 1_000_000)
        }
        let rate = meter.withLock { meter in
            meter.add(count: records, at: now)
            return meter.perSecond(count: records, at: now)
        }
        warnAboutLag(lagMilliseconds)
        return LinkStatus(
            kind: .mirror, name: settings.name, topic: topic.name, stream: stream, target: subject, phase: control.phase, position: resumePoint,
            topicEnd: end, lagRecords: end > resumePoint ? end - resumePoint : 0, lagMilliseconds: lagMilliseconds, recordsPerSecond: rate,
            records: records, duplicates: duplicates, rewinds: control.rewinds, lastError: control.lastError ?? "",
            lastErrorAt: control.lastErrorAt ?? 0)
    }

    private func warnAboutLag(_ lag: Int64) {
        let threshold = settings.lagWarningMilliseconds
        let change = progress.withLock { progress -> Bool? in
            if lag > threshold && !progress.lagWarned {
                progress.lagWarned = true
                return true
            }
            if lag <= threshold / 2 && progress.lagWarned {
                progress.lagWarned = false
                return false
            }
            return nil
        }
        guard let change else { return }
        let metadata: Logger.Metadata = ["mirror": "\(settings.name)", "topic": "\(topic.name)", "lag_ms": "\(lag)", "threshold_ms": "\(threshold)"]
        if change {
            logger.warning("mirror lag passed its warning threshold", metadata: metadata)
        } else {
            logger.notice("mirror lag back under its warning threshold", metadata: metadata)
        }
    }
}
