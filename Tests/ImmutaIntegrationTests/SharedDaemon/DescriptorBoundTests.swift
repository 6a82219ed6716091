import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import NIOCore
import Testing

/// `max_open_segment_files` holds with any number of segments, topics and groups: idle segments'
/// files are closed and reopened on demand.
@Suite(.timeLimit(.minutes(15))) struct DescriptorBoundTests {
    /// Runs immutad with a descriptor limit of `files` (as `LimitNOFILE=` would).
    static func limitedLauncher(in directory: String, files: Int) throws -> String {
        let path = directory + "/immutad-limited"
        try "#!/bin/sh\nulimit -n \(files)\nexec \(TestBinaries.path("immutad")) \"$@\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func hundredsOfSegmentsUnderALowDescriptorLimit() async throws {
        let dir = TemporaryDirectory()
        let launcher = try Self.limitedLauncher(in: dir.path, files: 128)
        let config = "max_open_segment_files: 16\nmin_segment_bytes: 4KiB\nmax_connections: 32\n"
        var daemon = try await DaemonProcess.start(in: dir.path, config: config, executable: launcher)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        _ = try await client.ping()
        let baseline = try daemon.openDescriptorCount()
        #expect(baseline > 0)
        let topics = (0..<40).map { "t\($0)" }
        let payload = [UInt8](repeating: 0x5A, count: 3000)
        var peak = baseline
        for topic in topics {
            try await client.createTopic(topic, options: TopicOptions(durability: "fsync", segmentBytes: 4096))
            for i in 0..<8 { try await client.produce(topic, [payload + [UInt8(i)]], ack: .fsync) }
            _ = try await client.committedOffset(topic, group: "g", creatingAt: .earliest)
            peak = max(peak, try daemon.openDescriptorCount())
        }
        // 40 topics × 8 segments, plus 40 group logs: over 700 files, read back in full.
        for topic in topics {
            let fetched = try await client.fetch(topic, from: .earliest, maxRecords: 100)
            var records = fetched.records
            var next = fetched.nextOffset
            while records.count < 8 {
                let more = try await client.fetch(topic, from: .offset(next), maxRecords: 100)
                try #require(more.nextOffset > next, "\(topic): a fetch at \(next) made no progress")
                records += more.records
                next = more.nextOffset
            }
            #expect(records.map { $0.payload.readableBytesView.last! } == (0..<8).map(UInt8.init), "\(topic)")
            peak = max(peak, try daemon.openDescriptorCount())
        }
        #expect(peak <= baseline + 16 + 4, "descriptors went from \(baseline) to \(peak)")
        await client.close()
        #expect(await daemon.stop() == 0)

        // It starts again under the same limit, with everything there.
        daemon = try await DaemonProcess.start(in: dir.path, config: config, executable: launcher)
        let again = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        for topic in topics { #expect(try await again.describeTopic(topic).nextOffset == 8) }
        await again.close()
        #expect(await daemon.stop() == 0)
    }
}
