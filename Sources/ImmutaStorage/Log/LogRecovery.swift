import SystemPackage
import Synchronization
/// What recovery found and repaired when a log was opened.
public struct RecoveryReport: Sendable, Hashable {
    /// Index entries dropped because they belonged to an incomplete or damaged batch.
    public var droppedRecords: UInt64 = 0
    /// Data bytes cut from the end of the last segment.
    public var droppedDataBytes: UInt64 = 0
    /// Index bytes cut from the end of the last segment.
    public var droppedIndexBytes: UInt64 = 0
    /// Whole segments removed by an explicit repair.
    public var removedSegments: [String] = []
    /// One line per repair, naming the file and what was done.
    public var notes: [String] = []

    /// True when nothing had to be repaired.
    public var isClean: Bool { notes.isEmpty }
}

/// How far recovery may go on its own.
public enum RecoveryPolicy: Sendable, Hashable {
    /// Repair a torn tail (the normal result of a crash), but refuse damage followed by intact
    /// records, which means corruption rather than an interrupted write.
    case repairTornTail
    /// Operator-requested repair: truncate the log at the first damaged record, whatever follows.
    case truncateAtFirstDamage
}

/// Brings a log directory back to its last complete, checksum-valid batch. Only the last segment
/// is read in full; earlier segments are checked through their sizes and their last index entry,
/// because the writer syncs and closes a segment before it starts the next one.
enum LogRecovery {
    /// - Parameter unflushedRolls: the log runs with `none` durability, whose rolls leave the
    ///   closed segment's flush to the background, so a power loss can cut a closed segment short.
    static func load(directory: String, log: String, policy: RecoveryPolicy, unflushedRolls: Bool = false) throws
        -> ([SegmentState], RecoveryReport)
    {
        var report = RecoveryReport()
        let names = try FileIO.list(directory)
        let dataBases = Set(names.compactMap { SegmentNames.baseOffset(of: $0, extension: SegmentNames.dataExtension) })
        let indexBases = Set(names.compactMap { SegmentNames.baseOffset(of: $0, extension: SegmentNames.indexExtension) })
        var bases = dataBases.union(indexBases).sorted()

        // A file without its partner is either empty (a segment whose creation a crash or a failed
        // roll interrupted: it holds no record, wherever it is) or the oldest, half-deleted by
        // retention. Anything else is damage.
        let orphans = bases.filter { dataBases.contains($0) != indexBases.contains($0) }
        for base in orphans {
            let stem = directory + "/" + SegmentNames.stem(base)
            let present = dataBases.contains(base) ? stem + SegmentNames.dataExtension : stem + SegmentNames.indexExtension
            let fd = try FileIO.open(present, readOnly: true)
            let size = try FileIO.size(fd, path: present)
            try? fd.close()
            if size == 0 {
                report.notes.append("removed \(present): an empty segment file without its partner")
            } else if base == bases.first && bases.count > 1 {
                report.notes.append("removed \(present): the rest of a segment that retention was deleting")
            } else {
                throw StorageError.unrecoverable(
                    log: log, file: present, position: 0,
                    reason: "the segment's \(dataBases.contains(base) ? "index" : "data") file is missing")
            }
            try FileIO.remove(present)
            bases.removeAll { $0 == base }
        }
        if !orphans.isEmpty { try FileIO.syncDirectory(directory) }

        var segments: [SegmentState] = []
        var index = 0
        while index < bases.count {
            let segment = try Segment(directory: directory, baseOffset: bases[index], create: false)
            if index < bases.count - 1, try isEmpty(segment) {
                // A pair of empty files before the last segment: a roll that failed after creating
                // them, and the log moved on. Sealed segments are never empty, so it holds nothing.
                report.notes.append("removed \(segment.dataPath) and its index: an empty segment before the last one")
                try segment.unlinkFiles()
                try FileIO.syncDirectory(directory)
                index += 1
                continue
            }
            if let previous = segments.last, previous.nextOffset != segment.baseOffset {
                throw StorageError.unrecoverable(
                    log: log, file: segment.dataPath, position: 0,
                    reason: "offsets jump from \(previous.nextOffset) to \(segment.baseOffset)")
            }
            let isLast = index == bases.count - 1
            if isLast {
                segments.append(try recoverTail(segment, log: log, policy: policy, report: &report))
            } else if policy == .repairTornTail, try !unflushedRolls || !isTorn(segment) {
                segments.append(try checkSealed(segment, log: log))
            } else {
                // An operator's repair, or a closed segment whose files were cut short: that only
                // happens to a segment a power loss caught before its flush (under `none`
                // durability a roll leaves the flush to the background). Flushes go oldest segment
                // first, so nothing after it was ever acknowledged as durable: cut it back to its
                // last whole batch, like the last segment, and drop the later ones.
                // Fix: an operator's repair used to look at a closed segment only as `checkSealed`
                // does (its sizes and last entry), so a damaged record inside one was left in place
                // and the topic still failed `verify` after the repair. It reads every record now.
                let notesBefore = report.notes.count
                segments.append(try recoverTail(segment, log: log, policy: policy, report: &report))
                if report.notes.count > notesBefore {
                    let later = bases.count - index - 1
                    report.notes.append("cut closed segment \(segment.dataPath); removing the \(later) later segments")
                    for later in bases[(index + 1)...] {
                        let dropped = try Segment(directory: directory, baseOffset: later, create: false)
                        try dropped.unlinkFiles()
                        report.removedSegments.append(dropped.dataPath)
                    }
                    try FileIO.syncDirectory(directory)
                    break
                }
            }
            index += 1
        }
        return (segments, report)
    }

    /// Whether a closed segment's files have sizes no complete segment has: an index that ends
    /// in part of an entry, or a data file shorter than its last entry says. A bit flip never
    /// changes a size; a power loss before the flush does.
    private static func isTorn(_ segment: Segment) throws -> Bool {
        let (indexSize, dataSize) = try segment.withFiles {
            (try FileIO.size($0.index, path: segment.indexPath), try FileIO.size($0.data, path: segment.dataPath))
        }
        if indexSize % UInt64(IndexEntry.size) != 0 { return true }
        let count = indexSize / UInt64(IndexEntry.size)
        guard count > 0 else { return dataSize > 0 }
        guard let last = try? segment.readEntries(first: count - 1, count: 1, log: "").first else { return false }
        return last.endPosition > dataSize
    }

    private static func isEmpty(_ segment: Segment) throws -> Bool {
        try segment.withFiles {
            try FileIO.size($0.index, path: segment.indexPath) == 0 && FileIO.size($0.data, path: segment.dataPath) == 0
        }
    }

    /// A closed segment: its index is whole and its last entry ends a batch exactly at the end of
    /// the data file.
    private static func checkSealed(_ segment: Segment, log: String) throws -> SegmentState {
        let (indexSize, dataSize) = try segment.withFiles {
            (try FileIO.size($0.index, path: segment.indexPath), try FileIO.size($0.data, path: segment.dataPath))
        }
        guard indexSize % UInt64(IndexEntry.size) == 0 else {
            throw StorageError.unrecoverable(
                log: log, file: segment.indexPath, position: indexSize,
                reason: "the index of a closed segment has a partial entry")
        }
        let count = indexSize / UInt64(IndexEntry.size)
        var state = SegmentState(segment: segment, recordCount: count, dataSize: dataSize)
        guard count > 0 else {
            guard dataSize == 0 else {
                throw StorageError.unrecoverable(log: log, file: segment.dataPath, position: 0, reason: "data without index entries")
            }
            return state
        }
        let first = try segment.readEntries(first: 0, count: 1, log: log)[0]
        let last = try segment.readEntries(first: count - 1, count: 1, log: log)[0]
        guard last.isBatchEnd, last.endPosition == dataSize else {
            throw StorageError.unrecoverable(
                log: log, file: segment.dataPath, position: last.position,
                reason: "the closed segment does not end with a complete batch (data is \(dataSize) bytes, index says \(last.endPosition))")
        }
        state.firstTimestamp = first.timestamp
        state.lastTimestamp = last.timestamp
        return state
    }

    /// The last segment: every entry and every payload checksum is checked, and the files are cut
    /// back to the last complete batch.
    private static func recoverTail(
        _ segment: Segment, log: String, policy: RecoveryPolicy, report: inout RecoveryReport
    ) throws -> SegmentState {
        let (indexSize, dataSize, indexBytes, dataBytes) = try segment.withFiles { files in
            let indexSize = try FileIO.size(files.index, path: segment.indexPath)
            let dataSize = try FileIO.size(files.data, path: segment.dataPath)
            return (
                indexSize, dataSize,
                try FileIO.read(files.index, count: Int(indexSize), at: 0, path: segment.indexPath),
                try FileIO.read(files.data, count: Int(dataSize), at: 0, path: segment.dataPath)
            )
        }
        let entryCount = Int(indexSize) / IndexEntry.size

        var goodRecords = 0
        var goodDataEnd: UInt64 = 0
        var firstTimestamp: Int64?
        var lastTimestamp: Int64?
        var damage: (record: Int, reason: String)?

        indexBytes.withUnsafeBytes { indexRaw in
            dataBytes.withUnsafeBytes { dataRaw in
                var expectedPosition: UInt64 = 0
                var previousTimestamp = Int64.min
                var batchFirstTimestamp: Int64?
                for i in 0..<entryCount {
                    guard let entry = IndexEntry.decode(indexRaw, at: i * IndexEntry.size) else {
                        damage = (i, "a torn index entry"); return
                    }
                    guard entry.position == expectedPosition else {
                        damage = (i, "an index entry pointing at byte \(entry.position) instead of \(expectedPosition)"); return
                    }
                    if let reason = payloadProblem(entry, dataRaw) { damage = (i, reason); return }
                    guard entry.timestamp >= previousTimestamp else {
                        damage = (i, "a timestamp that goes backwards"); return
                    }
                    previousTimestamp = entry.timestamp
                    expectedPosition = entry.endPosition
                    if batchFirstTimestamp == nil { batchFirstTimestamp = entry.timestamp }
                    if entry.isBatchEnd {
                        goodRecords = i + 1
                        goodDataEnd = entry.endPosition
                        if firstTimestamp == nil { firstTimestamp = batchFirstTimestamp }
                        lastTimestamp = entry.timestamp
                    }
                }
            }
        }

        if let damage, policy == .repairTornTail {
            // An intact record after the damage means the damage is not a torn tail.
            let intactLater = indexBytes.withUnsafeBytes { indexRaw in
                dataBytes.withUnsafeBytes { dataRaw in
                    ((damage.record + 1)..<entryCount).contains { i in
                        guard let entry = IndexEntry.decode(indexRaw, at: i * IndexEntry.size), entry.length > 0 else {
                            return false
                        }
                        return payloadProblem(entry, dataRaw) == nil
                    }
                }
            }
            if intactLater {
                throw StorageError.unrecoverable(
                    log: log, file: segment.indexPath, position: UInt64(damage.record * IndexEntry.size),
                    reason: "\(damage.reason) at offset \(segment.baseOffset + UInt64(damage.record)) is followed by intact records")
            }
        }

        let keptIndexBytes = UInt64(goodRecords * IndexEntry.size)
        if keptIndexBytes < indexSize || goodDataEnd < dataSize {
            let droppedRecords = UInt64(entryCount - goodRecords)
            report.droppedRecords += droppedRecords
            report.droppedIndexBytes += indexSize - keptIndexBytes
            report.droppedDataBytes += dataSize - goodDataEnd
            let why = damage.map { "\($0.reason) at offset \(segment.baseOffset + UInt64($0.record))" }
                ?? (keptIndexBytes < indexSize ? "an incomplete batch" : "data written ahead of its index")
            report.notes.append(
                "\(segment.dataPath): \(why); kept offsets \(segment.baseOffset)..<\(segment.baseOffset + UInt64(goodRecords)), "
                    + "dropped \(droppedRecords) index entries, \(indexSize - keptIndexBytes) index bytes "
                    + "and \(dataSize - goodDataEnd) data bytes")
            // Index first: an index never points past its data, even if this repair is interrupted.
            try segment.withFiles { files in
                try FileIO.truncate(files.index, to: keptIndexBytes, path: segment.indexPath)
                try FileIO.dataSync(files.index, path: segment.indexPath)
                try FileIO.truncate(files.data, to: goodDataEnd, path: segment.dataPath)
                try FileIO.dataSync(files.data, path: segment.dataPath)
            }
        }
        return SegmentState(
            segment: segment, recordCount: UInt64(goodRecords), dataSize: goodDataEnd,
            firstTimestamp: firstTimestamp, lastTimestamp: lastTimestamp)
    }

    /// Why the record an entry describes is not intact in `data`, or nil when it is.
    static func payloadProblem(_ entry: IndexEntry, _ data: UnsafeRawBufferPointer) -> String? {
        guard entry.endPosition <= UInt64(data.count) else { return "a record that runs past the end of the data file" }
        let position = Int(entry.position)
        let size = RecordFraming.loadUInt64(data, at: position)
        guard size == UInt64(entry.length) else {
            return "a size prefix of \(size) where the index says \(entry.length)"
        }
        let start = position + RecordFraming.headerSize
        let payload = UnsafeRawBufferPointer(rebasing: data[start..<(start + Int(entry.length))])
        guard CRC32C.checksum(payload) == entry.checksum else { return "a payload that fails its checksum" }
        return nil
    }
}
