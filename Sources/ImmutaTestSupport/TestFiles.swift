#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file helpers for tests, made directly with libc (independently of the engine's own I/O).
/// They throw ``TestSupportError`` naming the path and errno.
public enum TestFiles {
    /// The whole file.
    public static func read(_ path: String) throws -> [UInt8] {
        try withDescriptor(path, flags: O_RDONLY) { fd in
            var bytes = [UInt8](repeating: 0, count: try size(fd, path))
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw TestSupportError("read \(path) failed (errno \(errno))") }
                done += n
            }
            return bytes
        }
    }

    /// Replaces the file's contents with `bytes` (creating it when missing).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try withDescriptor(path, flags: O_RDWR | O_CREAT | O_TRUNC) { fd in try write(fd, bytes, at: 0, path) }
    }

    /// Writes `bytes` at `position`, extending the file when needed.
    public static func write(_ bytes: [UInt8], to path: String, at position: Int) throws {
        try withDescriptor(path, flags: O_RDWR) { fd in try write(fd, bytes, at: position, path) }
    }

    /// Cuts or extends (with zeros) the file to `size` bytes.
    public static func resize(_ path: String, to size: Int) throws {
        guard truncate(path, off_t(size)) == 0 else { throw TestSupportError("truncate \(path) to \(size) failed (errno \(errno))") }
    }

    /// The file's size in bytes.
    public static func size(_ path: String) throws -> Int {
        try withDescriptor(path, flags: O_RDONLY) { try size($0, path) }
    }

    /// Whether something exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// The names in a directory (without "." and ".."), sorted.
    public static func list(_ directory: String) throws -> [String] {
        guard let dir = opendir(directory) else { throw TestSupportError("opendir \(directory) failed (errno \(errno))") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Creates a directory (its parent must exist); an existing one is fine.
    public static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw TestSupportError("mkdir \(path) failed (errno \(errno))") }
    }

    /// Removes a file (a missing file is not an error).
    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw TestSupportError("unlink \(path) failed (errno \(errno))") }
    }

    /// Removes a directory and everything under it (a missing one is not an error).
    public static func removeTree(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in try list(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 else { throw TestSupportError("rmdir \(path) failed (errno \(errno))") }
        } else {
            try remove(path)
        }
    }

    /// Every file of a directory with its contents, for comparing a directory before and after an
    /// operation that must leave it alone, and for restoring it between iterations of a loop.
    public static func snapshot(_ directory: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try list(directory) { files[name] = try read(directory + "/" + name) }
        return files
    }

    /// Makes `directory` hold exactly `files` (name to contents), creating it when missing.
    public static func restore(_ files: [String: [UInt8]], in directory: String) throws {
        try makeDirectory(directory)
        for name in try list(directory) where files[name] == nil { try removeTree(directory + "/" + name) }
        for (name, bytes) in files { try write(bytes, to: directory + "/" + name) }
    }

    private static func withDescriptor<T>(_ path: String, flags: Int32, _ body: (Int32) throws -> T) throws -> T {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestSupportError("open \(path) failed (errno \(errno))") }
        defer { close(fd) }
        return try body(fd)
    }

    private static func size(_ fd: Int32, _ path: String) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TestSupportError("fstat \(path) failed (errno \(errno))") }
        return Int(info.st_size)
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8], at position: Int, _ path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, $0.count - done, off_t(position + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TestSupportError("write \(path) failed (errno \(errno))") }
            done += n
        }
    }
}
