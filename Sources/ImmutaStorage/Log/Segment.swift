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

/// One segment's open files. The descriptors stay open for as long as anyone holds the segment,
/// so a reader keeps reading a segment that retention has already unlinked.
package final class Segment: Sendable {
    package let baseOffset: UInt64
    package let dataPath: String
    package let indexPath: String
    package let data: FileDescriptor
    package let index: FileDescriptor

    package init(directory: String, baseOffset: UInt64, create: Bool) throws {
        self.baseOffset = baseOffset
        let stem = directory + "/" + SegmentNames.stem(baseOffset)
        dataPath = stem + SegmentNames.dataExtension
        indexPath = stem + SegmentNames.indexExtension
        data = try FileIO.open(dataPath, create: create, exclusive: create)
        do {
            index = try FileIO.open(indexPath, create: create, exclusive: create)
        } catch {
            try? data.close()
            throw error
        }
    }

    deinit {
        try? data.close()
        try? index.close()
    }

    /// Reads `count` index entries starting at record `first` (relative to the segment), unchecked
    /// beyond their own checksums.
    package func readEntries(first: UInt64, count: Int, log: String) throws -> [IndexEntry] {
        let bytes = try FileIO.read(index, count: count * IndexEntry.size, at: first * UInt64(IndexEntry.size), path: indexPath)
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

    /// Unlinks both files (the descriptors stay usable until the last holder lets go).
    package func unlinkFiles() throws {
        try FileIO.remove(dataPath)
        try FileIO.remove(indexPath)
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
