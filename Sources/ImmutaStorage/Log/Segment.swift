import ImmutaLocks
import Dispatch
import Synchronization
import SystemPackage

/// The file names of a segment: its base offset, zero-padded to 20 digits, then `.log` for data
/// and `.idx` for the index.
package enum SegmentNames {
    package static let dataExtension = ".log"
    package static let indexExtension = ".idx"

    package static func stem(_ baseOffset: UInt64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// The base offset a segment file name stands for, or nil when the name is not a segment's.
    package static func baseOffset(of fileName: String, extension ext: String) -> UInt64? {
        guard fileName.hasSuffix(ext) else { return nil }
        let stem = fileName.dropLast(ext.count)
        guard stem.count == 20, stem.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return UInt64(stem)
    }
}

/// One segment's files. They are opened through the process's ``DescriptorCache``: a call that
/// uses them pins them (``withFiles(_:)``), and an idle segment's descriptors may be closed and
/// reopened later, so the number of open files stays bounded whatever the number of segments.
package final class Segment: Sendable {
    package let baseOffset: UInt64
    package let dataPath: String
    package let indexPath: String
    private let id: UInt64
    private let cache: DescriptorCache
    /// Set once retention (or repair) unlinked the files: there is nothing left to flush.
    private let removed = Atomic<Bool>(false)

    package init(directory: String, baseOffset: UInt64, create: Bool, cache: DescriptorCache = .shared) throws {
        self.baseOffset = baseOffset
        self.cache = cache
        let stem = directory + "/" + SegmentNames.stem(baseOffset)
        dataPath = stem + SegmentNames.dataExtension
        indexPath = stem + SegmentNames.indexExtension
        id = cache.makeID()
        // The first open creates the files (exclusively) or checks that both exist.
        let (dataPath, indexPath) = (dataPath, indexPath)
        _ = try cache.pin(id) { try Self.open(dataPath, indexPath, create: create) }
        cache.unpin(id)
    }

    private static func open(_ dataPath: String, _ indexPath: String, create: Bool) throws -> SegmentDescriptors {
        let data = try FileIO.open(dataPath, create: create, exclusive: create)
        do {
            return SegmentDescriptors(data: data, index: try FileIO.open(indexPath, create: create, exclusive: create))
        } catch {
            try? data.close()
            // A data file created without its index would stop the next attempt (EEXIST) and,
            // once the log moved on, recovery: take it back.
            if create { try? FileIO.remove(dataPath) }
            throw error
        }
    }

    deinit {
        cache.forget(id)
    }

    /// Runs `body` with both files open; the cache does not close them meanwhile.
    package func withFiles<T>(_ body: (SegmentDescriptors) throws -> T) throws -> T {
        let (dataPath, indexPath) = (dataPath, indexPath)
        let files = try cache.pin(id) { try Self.open(dataPath, indexPath, create: false) }
        defer { cache.unpin(id) }
        return try body(files)
    }

    /// fdatasync of data and index, both done when it returns; nothing for a segment whose files
    /// were removed (a segment retention deletes before its background flush must not fail the
    /// flush, or the close).
    ///
    /// The two run at once, on this thread and a worker: appends change both files' sizes, so
    /// each fdatasync waits for a journal commit, and two issued together share one on ext4 and
    /// XFS instead of paying two in a row (the ack-fsync round trip was two commits long). No
    /// order between them is needed: recovery treats index entries whose data is missing or
    /// does not match their checksum as a torn tail, and nothing is acknowledged before both end.
    package func sync() throws {
        guard !removed.load(ordering: .relaxed) else { return }
        do {
            try withFiles { files in
                let (dataPath, indexPath) = (dataPath, indexPath)
                let failures = Locked<[any Error]>([])
                DispatchQueue.concurrentPerform(iterations: 2) { which in
                    do {
                        if which == 0 {
                            try FileIO.dataSync(files.data, path: dataPath)
                        } else {
                            try FileIO.dataSync(files.index, path: indexPath)
                        }
                    } catch {
                        failures.withLock { $0.append(error) }
                    }
                }
                if let failure = failures.withLock({ $0.first }) { throw failure }
            }
        } catch where removed.load(ordering: .relaxed) {
            // Retention unlinked the files between the check above and the reopen of a descriptor
            // the cache had closed (ENOENT): there is nothing left to flush.
        }
    }

    /// A duplicate of the data file's descriptor for a sendfile that outlives this call, counted
    /// against the cache's capacity; nil when there is no room (copy instead).
    package func leaseDataDescriptor() -> CInt? {
        try? withFiles { cache.leaseDuplicate(of: $0.data.rawValue) }
    }

    /// Gives back a descriptor from ``leaseDataDescriptor()``.
    package func returnLease(_ descriptor: CInt) {
        cache.returnLease(descriptor)
    }

    /// Reads `count` index entries starting at record `first` (relative to the segment), unchecked
    /// beyond their own checksums.
    package func readEntries(first: UInt64, count: Int, log: String) throws -> [IndexEntry] {
        let bytes = try withFiles {
            try FileIO.read($0.index, count: count * IndexEntry.size, at: first * UInt64(IndexEntry.size), path: indexPath)
        }
        guard bytes.count == count * IndexEntry.size else {
            throw StorageError.unrecoverable(log: log, file: indexPath, position: first * UInt64(IndexEntry.size), reason: "the index ends early")
        }
        return try bytes.withUnsafeBytes { (raw) -> [IndexEntry] in
            var entries: [IndexEntry] = []
            entries.reserveCapacity(count)
            for i in 0..<count {
                guard let entry = IndexEntry.decode(raw, at: i * IndexEntry.size) else {
                    throw StorageError.unrecoverable(
                        log: log, file: indexPath, position: (first + UInt64(i)) * UInt64(IndexEntry.size),
                        reason: "index entry for offset \(baseOffset + first + UInt64(i)) fails its checksum")
                }
                entries.append(entry)
            }
            return entries
        }
    }

    /// Unlinks both files and closes their cached descriptors (a read in progress finishes on
    /// its pinned descriptors; a later one fails, as the records are gone).
    package func unlinkFiles() throws {
        removed.store(true, ordering: .relaxed)
        try FileIO.remove(dataPath)
        try FileIO.remove(indexPath)
        cache.forget(id)
    }
}

/// What the log knows about a segment besides its files.
package struct SegmentState: Sendable {
    package let segment: Segment
    package var recordCount: UInt64
    package var dataSize: UInt64
    package var firstTimestamp: Int64?
    package var lastTimestamp: Int64?

    package var baseOffset: UInt64 { segment.baseOffset }
    package var nextOffset: UInt64 { segment.baseOffset + recordCount }
    package var totalBytes: UInt64 { dataSize + recordCount * UInt64(IndexEntry.size) }
}
