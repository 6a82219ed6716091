import ImmutaProtocol
import ImmutaStorage
import Logging

extension Broker {
    /// Changes a topic's settings while it runs (CONFIGURE_TOPIC): 0 or empty leaves a value as
    /// it is; `retention_bytes` 2⁶⁴−1 and `retention_ms` −1 remove the limit. Checked like a
    /// CREATE_TOPIC's values, persisted in topic.json, and applied to what comes next: the next
    /// append, the next roll, the next retention pass.
    func configureTopic(_ name: String, config: WireTopicConfig) throws -> Topic {
        let topic = try store.topic(name)
        if config.segmentBytes != 0 { try self.configuration.limits.checkSegmentBytes(config.segmentBytes) }
        let configuration = try topic.log.configuration.overlaid(with: config)
        try checkFitsFrames(configuration)
        try topic.reconfigure(configuration)
        logger.notice(
            "reconfigured topic",
            metadata: [
                "topic": "\(name)", "durability": "\(configuration.durability)", "segment_bytes": "\(configuration.segmentBytes)",
                "max_record_bytes": "\(configuration.maxRecordBytes)",
                "retention_bytes": "\(configuration.retentionBytes.map(String.init) ?? "none")",
                "retention_ms": "\(configuration.retentionMilliseconds.map(String.init) ?? "none")",
            ])
        return topic
    }

    /// A record of the topic's largest size must fit in one frame of this server.
    func checkFitsFrames(_ configuration: RecordLogConfiguration) throws {
        guard configuration.maxRecordBytes <= UInt64(self.configuration.maxFrameLength) else {
            throw ProtocolError(
                .invalidRequest,
                "max record size \(configuration.maxRecordBytes) exceeds the server's frame limit of \(self.configuration.maxFrameLength) bytes")
        }
    }
}

extension RecordLogConfiguration {
    /// These settings with a CREATE_TOPIC's or CONFIGURE_TOPIC's values over them: 0 (or an empty
    /// durability) keeps a value, `retention_bytes` 2⁶⁴−1 and `retention_ms` −1 remove the limit.
    func overlaid(with config: WireTopicConfig) throws -> RecordLogConfiguration {
        var configuration = self
        if config.segmentBytes != 0 { configuration.segmentBytes = config.segmentBytes }
        if config.maxRecordBytes != 0 { configuration.maxRecordBytes = config.maxRecordBytes }
        switch config.retentionBytes {
        case 0: break
        case .max: configuration.retentionBytes = nil
        default: configuration.retentionBytes = config.retentionBytes
        }
        switch config.retentionMilliseconds {
        case 0: break
        case -1: configuration.retentionMilliseconds = nil
        default: configuration.retentionMilliseconds = config.retentionMilliseconds
        }
        if !config.durability.isEmpty { configuration.durability = try Durability(parsing: config.durability) }
        return configuration
    }
}
