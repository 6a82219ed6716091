import ImmutaStorage
import ImmutaTestSupport
import SystemPackage
import Testing

/// A disk that fills up: the batch that does not fit fails with the system's ENOSPC and leaves
/// nothing behind; what was written stays readable, and appends work again once there is room.
@Suite(.timeLimit(.minutes(10))) struct FullDiskTests {
    private func sizes(_ dir: String) throws -> [String: Int] {
        var sizes: [String: Int] = [:]
        for name in try TestFiles.list(dir) { sizes[name] = try TestFiles.size(dir + "/" + name) }
        return sizes
    }

    @Test(.enabled(if: Tmpfs.isAvailable, "skipped: cannot mount tmpfs (mounting needs root or CAP_SYS_ADMIN)"))
    func appendUntilTheDiskIsFull() async throws {
        try await Tmpfs.withMount(sizeBytes: 256 << 10) { mount in
            // Room to free later, as an operator would.
            let filler = mount + "/filler"
            try TestFiles.write([UInt8](repeating: 1, count: 48 << 10), to: filler)
            let dir = mount + "/log"
            let configuration = RecordLogConfiguration(segmentBytes: 64 << 10, maxRecordBytes: 16 << 10, durability: .fsync)
            let (log, _) = try RecordLog.open(directory: dir, name: "full log", configuration: configuration)
            var model = LogModel()
            var random = SeededGenerator(seed: 31)
            var failures = 0
            var payloads: [[UInt8]] = []
            for _ in 0..<1_000 {
                payloads = Payloads.random(count: .random(in: 1...4, using: &random), sizes: 500...6_000, using: &random)
                let before = (try sizes(dir), log.bounds)
                do {
                    let result = try model.append(payloads, to: log)
                    try await log.waitUntilDurable(result)
                } catch let error as StorageError {
                    guard case .io(_, let path, let errno) = error else {
                        Issue.record("\(error) instead of an I/O error")
                        break
                    }
                    #expect(errno == .noSpace, "\(error)")
                    #expect(path.hasPrefix(dir + "/"), "the error names the file: \(error)")
                    #expect(String(describing: error).contains("(errno \(Errno.noSpace.rawValue))"))
                    // Nothing of the failed batch is left, in the files or in what readers see. (A
                    // batch that did not fit the active segment rolled it first: the new segment,
                    // at the next offset, stays, empty.)
                    let after = try sizes(dir)
                    let stem = String(repeating: "0", count: 20 - String(before.1.nextOffset).count) + "\(before.1.nextOffset)"
                    let rolled = after.count == before.0.count + 2 && after[stem + ".log"] == 0 && after[stem + ".idx"] == 0
                    #expect(after.filter { before.0[$0.key] != nil } == before.0, "\(error)")
                    #expect(after.count == before.0.count || rolled, "\(after) after \(before.0)")
                    #expect(log.bounds.nextOffset == before.1.nextOffset && log.bounds.bytes == before.1.bytes)
                    #expect(log.bounds.segments == before.1.segments + (rolled ? 1 : 0))
                    failures += 1
                    if failures == 3 { break }
                }
            }
            #expect(failures == 3, "the disk filled up")
            #expect(model.records.count > 20)
            #expect(try readAll(log) == model.records)
            #expect(try LogVerifier.verify(directory: dir).isClean)

            // Once there is room again, the same log appends where it left off.
            try TestFiles.remove(filler)
            let result = try model.append(payloads, to: log)
            #expect(result.firstOffset == model.records[model.records.count - payloads.count].offset)
            try await log.waitUntilDurable(result)
            #expect(try readAll(log) == model.records)
            try log.close()

            let (reopened, report) = try RecordLog.open(directory: dir, name: "full log", configuration: configuration)
            #expect(report.isClean, "\(report.notes)")
            #expect(try readAll(reopened) == model.records)
            try reopened.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }

    @Test(.enabled(if: Tmpfs.isAvailable, "skipped: cannot mount tmpfs (mounting needs root or CAP_SYS_ADMIN)"))
    func reopenAfterTheDiskFilledUp() async throws {
        try await Tmpfs.withMount(sizeBytes: 128 << 10) { mount in
            let dir = mount + "/log"
            let configuration = RecordLogConfiguration(segmentBytes: 32 << 10, maxRecordBytes: 16 << 10, durability: .none)
            let (log, _) = try RecordLog.open(directory: dir, name: "full log", configuration: configuration)
            var model = LogModel()
            var random = SeededGenerator(seed: 37)
            var full = false
            while !full {
                do {
                    try model.append(Payloads.random(count: 3, sizes: 1_000...3_000, using: &random), to: log)
                } catch StorageError.io(_, _, let errno) where errno == .noSpace {
                    full = true
                }
            }
            try log.close()
            let (reopened, report) = try RecordLog.open(directory: dir, name: "full log", configuration: configuration)
            #expect(report.isClean, "\(report.notes)")
            #expect(try readAll(reopened) == model.records)
            // Retention frees whole segments, and appends work again.
            var shrink = configuration
            shrink.retentionBytes = 40 << 10
            try reopened.updateConfiguration(shrink)
            #expect(try !reopened.enforceRetention().isEmpty)
            let result = try reopened.append([[UInt8](repeating: 9, count: 2_000)])
            #expect(result.firstOffset == model.nextOffset)
            try reopened.close()
            #expect(try LogVerifier.verify(directory: dir).isClean)
        }
    }
}
