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
        var configuration = topic.log.configuration
        if config.segmentBytes != 0 {
            try self.configuration.limits.checkSegmentBytes(config.segmentBytes)
            configuration.segmentBytes = config.segmentBytes
        }
        if config.maxRecordBytes != 0 {
            guard config.maxRecordBytes <= UInt64(self.configuration.maxFrameLength - ServerConfiguration.frameOverhead) else {
                throw ProtocolError(
                    .invalidRequest,
                    "max record size \(config.maxRecordBytes) exceeds what fits in the server's frame limit of \(self.configuration.maxFrameLength) bytes")
            }
            configuration.maxRecordBytes = config.maxRecordBytes
        }
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
}
