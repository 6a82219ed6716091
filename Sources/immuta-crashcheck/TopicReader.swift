import Immuta
import ImmutaProtocol

/// Reads a whole topic through the client (which checks every record's CRC32C), stepping over
/// offsets the daemon refuses to serve (a damaged record is refused, never served).
enum TopicReader {
    struct Contents {
        var records: [(offset: UInt64, bytes: [UInt8])] = []
        /// Offsets whose fetch failed one by one, with the error.
        var refused: [(offset: UInt64, error: String)] = []
        var logEnd: UInt64 = 0
    }

    /// A refusal to serve stored bytes (as opposed to a lost connection or a bad request).
    static func isRefusal(_ error: ImmutaError) -> Bool {
        error.code == .corruptData || error.code == .storageFailure
    }

    static func readAll(_ client: ImmutaClient, _ topic: String, maxRefusals: Int = 64) async throws -> Contents {
        var contents = Contents()
        var position = try await client.describeTopic(topic).earliestOffset
        while true {
            do {
                let batch = try await client.fetch(topic, from: .offset(position), maxRecords: 5000, maxBytes: 4 << 20)
                contents.logEnd = batch.logEndOffset
                if batch.records.isEmpty { return contents }
                contents.records += batch.records.map { ($0.offset, $0.bytes) }
                position = batch.nextOffset
            } catch let error as ImmutaError where isRefusal(error) {
                // A batch failed: find the offset it failed at by reading one record at a time.
                do {
                    let single = try await client.fetch(topic, from: .offset(position), maxRecords: 1)
                    contents.records += single.records.map { ($0.offset, $0.bytes) }
                    position = single.nextOffset
                } catch let error as ImmutaError where isRefusal(error) {
                    contents.refused.append((position, "\(error)"))
                    guard contents.refused.count < maxRefusals else { return contents }
                    position += 1
                }
            }
        }
    }
}
