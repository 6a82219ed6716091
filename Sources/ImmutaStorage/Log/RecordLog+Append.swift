import ImmutaLocks
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension RecordLog {
    /// Appends a batch of payloads atomically: all of them become visible together, or none does.
    ///
    /// - Returns: the offsets the batch received. The batch is in the page cache and visible to
    ///   readers; call ``waitUntilDurable(_:)`` to wait for it to reach the disk.
    @discardableResult
    public func append(_ payloads: [[UInt8]]) throws -> AppendResult {
        guard !payloads.isEmpty else { throw StorageError.emptyBatch }
        let limit = configuration.maxRecordBytes
        var total = 0
        for payload in payloads {
            guard UInt64(payload.count) <= limit else { throw StorageError.recordTooLarge(size: UInt64(payload.count), limit: limit) }
            total += RecordFraming.framedSize(payloadSize: payload.count)
        }
        var framed = [UInt8]()
        framed.reserveCapacity(total)
        for payload in payloads {
            withUnsafeBytes(of: UInt64(payload.count).littleEndian) { framed.append(contentsOf: $0) }
            framed.append(contentsOf: payload)
        }
        return try framed.withUnsafeBytes { (raw) in try append(framed: raw) }
    }

    /// Appends a batch given as seed-format bytes (8-byte little-endian size, then payload, back to
    /// back). The bytes are checked, then written as they are: this is the path the daemon takes,
    /// since records arrive on the wire in the on-disk format.
    ///
    /// - Parameter timestamp: the append time to record; the default is now. Timestamps never go
    ///   backwards along a log: an earlier one is raised to the previous batch's.
    @discardableResult
    /// - Parameter expectedCount: when given, the batch is refused unless it holds exactly this many records.
    /// - Parameter prepare: runs under the writer's lock once the batch's first offset and timestamp
    ///   (and record count) are known, before anything is written; if it throws, nothing is appended. The idempotent
    ///   producer path records the batch in the producer-state log here.
    public func append(
        framed bytes: UnsafeRawBufferPointer, timestamp: Int64? = nil, expectedCount: Int? = nil,
        prepare: ((_ firstOffset: UInt64, _ timestamp: Int64, _ count: Int) throws -> Void)? = nil
    ) throws -> AppendResult {
        guard !bytes.isEmpty else { throw StorageError.emptyBatch }
        let configuration = self.configuration
        let (result, woken, appended) = try writer.withLock { (state) -> (AppendResult, [Waiter], AppendedBatch?) in
            guard !state.closed else { throw StorageError.closed(log: name) }
            try recoverAfterFailure(&state)
            writerBusySince.store(monotonicNanoseconds(), ordering: .relaxed)
            defer { writerBusySince.store(0, ordering: .relaxed) }

            let count = try Self.countRecords(bytes, maxPayload: configuration.maxRecordBytes)
            if let expectedCount, expectedCount != count {
                throw StorageError.malformedRecords(reason: "the batch declares \(expectedCount) records but holds \(count)")
            }
            if state.activeDataSize > 0 && state.activeDataSize + UInt64(bytes.count) > configuration.segmentBytes {
                try roll(&state, durability: configuration.durability)
            }
            let now = max(timestamp ?? currentTimeNanoseconds(), state.lastTimestamp)
            try prepare?(state.nextOffset, now, count)
            let base = state.activeDataSize
            let indexBytes = count * IndexEntry.size
            if state.indexScratch.count < indexBytes {
                state.indexScratch = [UInt8](repeating: 0, count: max(indexBytes, state.indexScratch.count * 2))
            }
            state.indexScratch.withUnsafeMutableBytes { index in
                var position = 0
                for i in 0..<count {
                    let size = Int(RecordFraming.loadUInt64(bytes, at: position))
                    let payload = UnsafeRawBufferPointer(
                        rebasing: bytes[(position + RecordFraming.headerSize)..<(position + RecordFraming.headerSize + size)])
                    IndexEntry(
                        position: base + UInt64(position), timestamp: now, length: UInt32(size),
                        checksum: CRC32C.checksum(payload), flags: i == count - 1 ? IndexEntry.batchEndFlag : 0
                    ).encode(into: index, at: i * IndexEntry.size)
                    position += RecordFraming.headerSize + size
                }
            }

            let segment = state.active
            let indexPosition = state.activeCount * UInt64(IndexEntry.size)
            do {
                // Data first, then index: an index entry never points at data that is not written.
                try segment.withFiles { files in
                    try FileIO.write(files.data, bytes, at: base, path: segment.dataPath)
                    try state.indexScratch.withUnsafeBytes { (index) in
                        try FileIO.write(
                            files.index, UnsafeRawBufferPointer(rebasing: index[0..<indexBytes]), at: indexPosition,
                            path: segment.indexPath)
                    }
                }
            } catch {
                rollBack(segment, dataSize: base, indexSize: indexPosition, cause: error)
                throw error
            }

            let result = AppendResult(firstOffset: state.nextOffset, count: UInt64(count), timestamp: now)
            state.activeDataSize += UInt64(bytes.count)
            state.activeCount += UInt64(count)
            state.nextOffset += UInt64(count)
            state.lastTimestamp = now
            let woken = publish(result, dataBytes: UInt64(bytes.count))
            guard bytes.count <= AppendedBatch.maxBytes, woken.contains(where: \.wantsBatch) else { return (result, woken, nil) }
            let appended = state.indexScratch.withUnsafeBytes { index in
                AppendedBatch(
                    firstOffset: result.firstOffset, count: count,
                    index: UnsafeRawBufferPointer(rebasing: index[0..<indexBytes]), data: bytes)
            }
            return (result, woken, appended)
        }
        // Woken outside the writer's lock: a waiter may append to another log (a dead letter), and
        // two logs doing that to each other under their locks would deadlock.
        for waiter in woken { waiter.wake(appended) }
        switch configuration.durability {
        case .none:
            if syncState.withLock({ !$0.sealedUnflushed.isEmpty }) { requestSync(upTo: result.nextOffset) }
        case .fsync: requestSync(upTo: result.nextOffset)
        case .interval(let ms): armIntervalSync(milliseconds: ms)
        }
        return result
    }

    /// Counts the records in seed-format bytes, checking sizes and framing.
    static func countRecords(_ bytes: UnsafeRawBufferPointer, maxPayload: UInt64) throws -> Int {
        var position = 0
        var count = 0
        while position < bytes.count {
            guard bytes.count - position >= RecordFraming.headerSize else {
                throw StorageError.malformedRecords(reason: "a size prefix is cut off at byte \(position) of \(bytes.count)")
            }
            let size = RecordFraming.loadUInt64(bytes, at: position)
            guard size <= maxPayload else { throw StorageError.recordTooLarge(size: size, limit: maxPayload) }
            let end = position + RecordFraming.headerSize
            guard UInt64(bytes.count - end) >= size else {
                throw StorageError.malformedRecords(
                    reason: "the record at byte \(position) declares \(size) bytes but only \(bytes.count - end) follow")
            }
            position = end + Int(size)
            count += 1
        }
        return count
    }

    /// Makes a written batch visible to readers and returns the waiters to wake.
    private func publish(_ result: AppendResult, dataBytes: UInt64) -> [Waiter] {
        shared.withLock { state -> [Waiter] in
            let last = state.segments.count - 1
            state.segments[last].recordCount += result.count
            state.segments[last].dataSize += dataBytes
            if state.segments[last].firstTimestamp == nil { state.segments[last].firstTimestamp = result.timestamp }
            state.segments[last].lastTimestamp = result.timestamp
            state.nextOffset = result.nextOffset
            guard !state.waiters.isEmpty else { return [] }
            var ready: [Waiter] = []
            for (id, waiter) in state.waiters where waiter.beyond < result.nextOffset {
                ready.append(waiter)
                state.waiters[id] = nil
            }
            return ready
        }
    }

    /// Undoes a failed batch's partial writes. If even that fails, the log stops taking writes,
    /// since its files no longer match what readers were told.
    private func rollBack(_ segment: Segment, dataSize: UInt64, indexSize: UInt64, cause: any Error) {
        do {
            try segment.withFiles { files in
                try FileIO.truncate(files.index, to: indexSize, path: segment.indexPath)
                try FileIO.truncate(files.data, to: dataSize, path: segment.dataPath)
            }
        } catch {
            markFailed(error)
        }
    }

    /// Closes the active segment and starts a new one at the next offset. The closed segment is
    /// flushed before the new one exists, except under `none` durability, where the flush goes to
    /// the sync queue so the writer does not wait for a whole segment to reach the disk; the sync
    /// loop flushes such segments before it flushes the active one, so nothing is ever reported
    /// durable ahead of them.
    ///
    /// A roll that fails leaves no file behind, so the next append can try again; a failed flush
    /// of the closed segment fails the log (its pages' state is unknown, see ``markFailed(_:)``).
    private func roll(_ state: inout Writer, durability: Durability) throws {
        if durability == .none {
            let sealed = state.active
            syncState.withLock { $0.sealedUnflushed.append(sealed) }
        } else {
            do {
                try state.active.sync()
            } catch {
                markFailed(error)
                throw error
            }
        }
        try SegmentFiles.moveStraysAside(directory: directory, baseOffset: state.nextOffset)
        let segment = try Segment(directory: directory, baseOffset: state.nextOffset, create: true)
        do {
            try FileIO.syncDirectory(directory)
        } catch {
            try? segment.unlinkFiles()
            throw error
        }
        shared.withLock { $0.segments.append(SegmentState(segment: segment, recordCount: 0, dataSize: 0)) }
        state.active = segment
        state.activeDataSize = 0
        state.activeCount = 0
    }
}
