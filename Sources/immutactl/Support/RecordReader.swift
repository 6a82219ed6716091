import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a byte stream (standard input) into records at a separator byte and frames them in the
/// record format (8-byte little-endian size, then the payload) for `produce(framedRecords:)`.
///
/// The separator is not part of a record; a last record without a separator still counts. A batch
/// ends when it holds `maxRecords`, when the next record would take it past `maxBytes`, at the end
/// of the input, or when no more input arrives within 2 ms (so `tail -f log | immutactl produce`
/// sends each line as it comes instead of waiting for a full batch).
final class RecordReader {
    private let fd: CInt
    private let separator: UInt8
    private let describeRecord: (Int) -> String
    private var storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var searched = 0
    private var end = 0
    private var atEOF = false
    /// Records read so far (for error messages: "line 12").
    private(set) var recordsRead = 0
    /// Asked while waiting for input: true ends the input there (Ctrl-C on `produce`), as if it
    /// had ended, so that what was read is sent and counted.
    var shouldStop: () -> Bool = { false }
    /// Whether ``shouldStop`` ended the input.
    private(set) var stopped = false

    /// - Parameter describeRecord: names a 1-based record number in errors, e.g. `line 12`.
    init(fd: CInt, separator: UInt8, describeRecord: @escaping (Int) -> String) {
        self.fd = fd
        self.separator = separator
        self.describeRecord = describeRecord
        storage = .allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit {
        storage.deallocate()
    }

    /// Reads the next batch into `batch`. Returns the number of records added, 0 only at the end
    /// of the input.
    ///
    /// - Parameter maxRecordBytes: the largest payload accepted; `tooLarge` explains a bigger one.
    func nextBatch(
        into batch: inout ByteBuffer, maxRecords: Int, maxBytes: Int, maxRecordBytes: Int,
        tooLarge: (_ record: String, _ size: Int) -> CLIError
    ) throws -> Int {
        var count = 0
        while true {
            // Take every complete record already buffered.
            while count < maxRecords {
                let remaining = end - searched
                guard remaining > 0, let hit = memchr(storage.baseAddress! + searched, CInt(separator), remaining)
                else {
                    searched = end
                    break
                }
                let at = storage.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
                guard
                    try take(
                        upTo: at, into: &batch, count: count, maxBytes: maxBytes, maxRecordBytes: maxRecordBytes,
                        tooLarge)
                else { return count }
                start = at + 1
                searched = start
                count += 1
            }
            if count == maxRecords { return count }
            if end - start > maxRecordBytes {
                // Send the records before it first; the next call reports it.
                if count > 0 { return count }
                throw tooLarge(describeRecord(recordsRead + 1), try lengthOfOversizedRecord())
            }
            if atEOF {
                if start < end {
                    guard
                        try take(
                            upTo: end, into: &batch, count: count, maxBytes: maxBytes, maxRecordBytes: maxRecordBytes,
                            tooLarge)
                    else { return count }
                    start = end
                    searched = end
                    count += 1
                }
                return count
            }
            if count > 0 && !inputReady() { return count }
            try readMore()
        }
    }

    /// The whole length of the record at `start`, already known to be too large: the rest of it
    /// is read (and dropped) up to its separator or the end of the input, so that the error gives
    /// its true size rather than the part that was buffered (8454144 for a 9,000,000-byte line).
    /// Counting stops at 4 GiB.
    private func lengthOfOversizedRecord() throws -> Int {
        var length = end - start
        while !atEOF, length < 1 << 32 {
            (start, searched, end) = (0, 0, 0)
            try readMore()
            if let hit = memchr(storage.baseAddress!, CInt(separator), end) {
                return length + storage.baseAddress!.distance(to: UnsafeMutableRawPointer(hit))
            }
            length += end
        }
        return length
    }

    /// Frames `storage[start..<at]` into the batch, or returns false when it belongs in the next one.
    private func take(
        upTo at: Int, into batch: inout ByteBuffer, count: Int, maxBytes: Int, maxRecordBytes: Int,
        _ tooLarge: (String, Int) -> CLIError
    ) throws -> Bool {
        let length = at - start
        // A record that is too large ends the batch before it; the next call reports it.
        if count > 0 && (length > maxRecordBytes || batch.readableBytes + 8 + length > maxBytes) { return false }
        if length > maxRecordBytes { throw tooLarge(describeRecord(recordsRead + 1), length) }
        batch.writeInteger(UInt64(length), endianness: .little)
        batch.writeBytes(UnsafeRawBufferPointer(rebasing: storage[start..<at]))
        recordsRead += 1
        return true
    }

    /// Whether input arrives (data or end of input) within a short linger. A writer feeding a pipe
    /// in bulk refills it within microseconds, so batches still fill up; a person typing, or
    /// `tail -f`, sees each line sent after at most the linger.
    private func inputReady() -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Self.lingerMilliseconds) > 0
    }

    /// How long a partial batch waits for more input before it is sent.
    static let lingerMilliseconds: CInt = 2

    private func readMore() throws {
        if start > 0 && (end == storage.count || start >= storage.count / 2) {
            // Move the partial record to the front.
            let pending = end - start
            storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: pending)
            searched -= start
            end = pending
            start = 0
        }
        if end == storage.count {
            // One record longer than the buffer: grow it.
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: storage.count * 2, alignment: 16)
            bigger.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: end)
            storage.deallocate()
            storage = bigger
        }
        // Waits in poll, not in read, so that a stop request is seen within 100 ms even when no
        // input comes.
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&descriptor, 1, 100) == 0 || (descriptor.revents == 0 && errno == EINTR) {
            if shouldStop() {
                stopped = true
                atEOF = true
                return
            }
        }
        if shouldStop() {
            stopped = true
            atEOF = true
            return
        }
        while true {
            let n = read(fd, storage.baseAddress! + end, storage.count - end)
            if n > 0 {
                end += n
                return
            } else if n == 0 {
                atEOF = true
                return
            } else if errno != EINTR {
                throw CLIError("cannot read standard input: \(String(cString: strerror(errno)))")
            }
        }
    }
}
