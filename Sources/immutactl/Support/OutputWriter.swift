#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The reader of our output went away (`immutactl consume … | head`): stop quietly.
struct BrokenPipe: Error {}

/// A buffered writer to a file descriptor, so that printing millions of records costs one
/// write(2) per 256 KiB rather than one per record.
final class OutputWriter {
    private let fd: CInt
    private let capacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var used = 0
    /// Bytes handed to write(2) so far.
    private(set) var written: UInt64 = 0
    private var scratch: [UInt8] = []
    private var lastTimestamp: Int64 = 0

    init(fd: CInt = STDOUT_FILENO, capacity: Int = 256 << 10) {
        self.fd = fd
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
        scratch.reserveCapacity(64)
        // A closed pipe must come back as EPIPE from write(2), not kill the process mid-record.
        signal(SIGPIPE, SIG_IGN)
    }

    deinit {
        storage.deallocate()
    }

    /// Bytes appended so far, written out or still buffered. A byte at a position below
    /// ``written`` has reached the file descriptor.
    var position: UInt64 { written + UInt64(used) }

    /// Appends bytes, writing through when the buffer is full.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > capacity - used {
            try flush()
            if bytes.count >= capacity {
                try writeFully(bytes)
                return
            }
        }
        UnsafeMutableRawBufferPointer(rebasing: storage[used..<(used + bytes.count)]).copyMemory(from: bytes)
        used += bytes.count
    }

    /// Appends one byte.
    func write(byte: UInt8) throws {
        if used == capacity { try flush() }
        storage[used] = byte
        used += 1
    }

    /// Appends the bytes of an array.
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends a string's UTF-8.
    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a number in decimal.
    func write(decimal value: UInt64) throws {
        if capacity - used < 20 { try flush() }
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var value = value
        var index = used + digits - 1
        repeat {
            storage[index] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
            index -= 1
        } while value > 0
        used += digits
    }

    /// Appends an RFC 3339 UTC timestamp with nine fractional digits. The records of one batch
    /// share their timestamp, so the last one formatted is kept.
    func write(timestamp nanoseconds: Int64) throws {
        if nanoseconds != lastTimestamp || scratch.isEmpty {
            scratch.removeAll(keepingCapacity: true)
            RFC3339.append(nanoseconds: nanoseconds, to: &scratch)
            lastTimestamp = nanoseconds
        }
        try write(scratch)
    }

    /// Appends valid UTF-8 as a quoted JSON string.
    func write(jsonString utf8: UnsafeRawBufferPointer) throws {
        try write(byte: UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\"),
                let escape = JSON.escapes[Int(byte)]
            else { continue }
            try write(UnsafeRawBufferPointer(rebasing: utf8[runStart..<i]))
            try write(escape)
            runStart = i + 1
        }
        try write(UnsafeRawBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        try write(byte: UInt8(ascii: "\""))
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends bytes in standard base64 (RFC 4648, with padding), quoted as a JSON string.
    func write(base64JSONString bytes: UnsafeRawBufferPointer) throws {
        try write(byte: UInt8(ascii: "\""))
        let alphabet = Self.base64Alphabet
        var i = 0
        while i + 3 <= bytes.count {
            if capacity - used < 4 { try flush() }
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            storage[used] = alphabet[Int(n >> 18 & 63)]
            storage[used + 1] = alphabet[Int(n >> 12 & 63)]
            storage[used + 2] = alphabet[Int(n >> 6 & 63)]
            storage[used + 3] = alphabet[Int(n & 63)]
            used += 4
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            try write(byte: alphabet[Int(n >> 18 & 63)])
            try write(byte: alphabet[Int(n >> 12 & 63)])
            try write(byte: rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            try write(byte: UInt8(ascii: "="))
        }
        try write(byte: UInt8(ascii: "\""))
    }

    /// Writes out everything buffered.
    func flush() throws {
        guard used > 0 else { return }
        let pending = UnsafeRawBufferPointer(rebasing: storage[0..<used])
        used = 0
        try writeFully(pending)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n >= 0 {
                done += n
                written += UInt64(n)
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN {
                // A non-blocking stdout that is full: wait until it drains.
                var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, -1)
            } else if errno == EPIPE {
                throw BrokenPipe()
            } else {
                throw CLIError("cannot write to standard output: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// write(2), named apart from the writer's own methods.
private func systemWrite(_ fd: CInt, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
