import ImmutaLocks
import Synchronization
extension RecordLog {
    /// The segment holding `offset`, after checking the offset against the log's bounds.
    /// Returns nil for the next offset (nothing to read yet).
    private func locate(_ offset: UInt64) throws -> SegmentState? {
        let (segments, next, closed) = shared.withLock { ($0.segments, $0.nextOffset, $0.closed) }
        guard !closed else { throw StorageError.closed(log: name) }
        let earliest = segments[0].baseOffset
        guard offset >= earliest else { throw StorageError.offsetBelowEarliest(offset: offset, earliest: earliest) }
        guard offset <= next else { throw StorageError.offsetBeyondEnd(offset: offset, next: next) }
        guard offset < next else { return nil }
        var low = 0
        var high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if segments[mid].baseOffset <= offset { low = mid } else { high = mid - 1 }
        }
        return segments[low]
    }

    /// Reads the index entries of up to `maxRecords` records from `offset` within one segment,
    /// cut so that their data fits `maxBytes` (always at least one record).
    private func entries(
        from offset: UInt64, in state: SegmentState, maxRecords: Int, maxBytes: Int
    ) throws -> (entries: [IndexEntry], raw: [UInt8]) {
        let available = state.nextOffset - offset
        // Every record takes at least its 8-byte size prefix, which bounds how many can fit.
        let wanted = Int(min(UInt64(max(1, maxRecords)), available, UInt64(max(1, maxBytes / RecordFraming.headerSize))))
        let relative = offset - state.baseOffset
        var raw = try state.segment.withFiles {
            try FileIO.read(
                $0.index, count: wanted * IndexEntry.size, at: relative * UInt64(IndexEntry.size),
                path: state.segment.indexPath)
        }
        guard raw.count == wanted * IndexEntry.size else {
            throw StorageError.unrecoverable(
                log: name, file: state.segment.indexPath, position: relative * UInt64(IndexEntry.size),
                reason: "the index is shorter than the log's bounds")
        }
        var entries: [IndexEntry] = []
        entries.reserveCapacity(wanted)
        var bytes = 0
        try raw.withUnsafeBytes { (buffer) in
            for i in 0..<wanted {
                guard let entry = IndexEntry.decode(buffer, at: i * IndexEntry.size) else {
                    throw StorageError.checksumMismatch(log: name, offset: offset + UInt64(i), file: state.segment.indexPath)
                }
                let size = RecordFraming.framedSize(payloadSize: Int(entry.length))
                if !entries.isEmpty && bytes + size > maxBytes { break }
                bytes += size
                entries.append(entry)
            }
        }
        if entries.count < wanted { raw.removeLast((wanted - entries.count) * IndexEntry.size) }
        return (entries, raw)
    }

    /// Reads up to `maxRecords` records (and about `maxBytes` bytes, but at least one record) from
    /// `offset`, checking each record's size and CRC32C before handing it out. A read stops at a
    /// segment boundary; read again from the batch's ``RecordBatch/nextOffset``.
    ///
    /// - Returns: an empty batch when `offset` is the next offset to be written.
    /// - Throws: ``StorageError/offsetBelowEarliest(offset:earliest:)``,
    ///   ``StorageError/offsetBeyondEnd(offset:next:)``, or ``StorageError/checksumMismatch(log:offset:file:)``.
    public func read(from offset: UInt64, maxRecords: Int = 1000, maxBytes: Int = 1 << 20) throws -> RecordBatch {
        guard let state = try locate(offset) else { return .empty(at: offset) }
        let (entries, _) = try self.entries(from: offset, in: state, maxRecords: maxRecords, maxBytes: maxBytes)
        let start = entries[0].position
        let end = entries[entries.count - 1].endPosition
        let data = try state.segment.withFiles {
            try FileIO.read($0.data, count: Int(end - start), at: start, path: state.segment.dataPath)
        }
        guard data.count == Int(end - start) else {
            throw StorageError.checksumMismatch(log: name, offset: offset + UInt64(entries.count - 1), file: state.segment.dataPath)
        }
        try data.withUnsafeBytes { (raw) in
            for (i, entry) in entries.enumerated() {
                let at = Int(entry.position - start)
                let size = RecordFraming.loadUInt64(raw, at: at)
                let payloadStart = at + RecordFraming.headerSize
                guard size == UInt64(entry.length),
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[payloadStart..<(payloadStart + Int(size))]))
                        == entry.checksum
                else {
                    throw StorageError.checksumMismatch(log: name, offset: offset + UInt64(i), file: state.segment.dataPath)
                }
            }
        }
        return RecordBatch(firstOffset: offset, entries: entries, framed: data, basePosition: start)
    }

    /// Locates up to `maxRecords` records from `offset` in one segment without reading their data,
    /// for sending them straight from the file (sendfile). Checksums travel with the index entries,
    /// so the receiver verifies every record end to end.
    ///
    /// - Returns: nil when `offset` is the next offset to be written.
    public func slice(from offset: UInt64, maxRecords: Int, maxBytes: Int) throws -> LogSlice? {
        guard let state = try locate(offset) else { return nil }
        let (entries, raw) = try self.entries(from: offset, in: state, maxRecords: maxRecords, maxBytes: maxBytes)
        let start = entries[0].position
        return LogSlice(
            firstOffset: offset, entries: entries, indexBytes: raw, dataPosition: start,
            dataLength: entries[entries.count - 1].endPosition - start, segment: state.segment)
    }

    /// The offset a start position stands for.
    public func resolve(_ position: StartPosition) throws -> UInt64 {
        switch position {
        case .earliest: return bounds.earliestOffset
        case .latest: return bounds.nextOffset
        case .offset(let offset):
            let bounds = self.bounds
            guard offset >= bounds.earliestOffset else {
                throw StorageError.offsetBelowEarliest(offset: offset, earliest: bounds.earliestOffset)
            }
            guard offset <= bounds.nextOffset else { throw StorageError.offsetBeyondEnd(offset: offset, next: bounds.nextOffset) }
            return offset
        case .timestamp(let time): return try offset(atOrAfter: time)
        }
    }

    /// The first offset whose record was appended at or after `timestamp` (nanoseconds since the
    /// Unix epoch), or the next offset when there is none. A binary search over segments, then over
    /// the index entries of one segment; no data is read.
    public func offset(atOrAfter timestamp: Int64) throws -> UInt64 {
        let (segments, next) = shared.withLock { ($0.segments, $0.nextOffset) }
        // Only segments holding records: an empty one (a new log, or right after a roll) has no
        // timestamp to compare, and searching it would underflow `recordCount - 1`.
        guard let state = segments.first(where: { $0.recordCount > 0 && ($0.lastTimestamp ?? .min) >= timestamp }) else {
            return next
        }
        var low: UInt64 = 0
        var high = state.recordCount - 1
        while low < high {
            let mid = (low + high) / 2
            let entry = try state.segment.readEntries(first: mid, count: 1, log: name)[0]
            if entry.timestamp >= timestamp { high = mid } else { low = mid + 1 }
        }
        return state.baseOffset + low
    }

    /// The append time of the record at `offset` (nanoseconds since the Unix epoch).
    public func timestamp(at offset: UInt64) throws -> Int64 {
        guard let state = try locate(offset) else { throw StorageError.offsetBeyondEnd(offset: offset, next: offset) }
        return try state.segment.readEntries(first: offset - state.baseOffset, count: 1, log: name)[0].timestamp
    }
}
