import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The storage engine's system calls, in one place. swift-system provides the typed
/// descriptors and `Errno`; the calls it lacks (fdatasync, ftruncate, fstat, directory
/// fsync) are made here through libc.
package enum FileIO {
    /// Opens (and optionally creates) a file for reading and writing.
    package static func open(_ path: String, create: Bool = false, exclusive: Bool = false, readOnly: Bool = false) throws
        -> FileDescriptor
    {
        try IOFaults.check(.open, path)
        var options: FileDescriptor.OpenOptions = [.closeOnExec]
        if create { options.insert(.create) }
        if exclusive { options.insert(.exclusiveCreate) }
        do {
            return try FileDescriptor.open(
                FilePath(path), readOnly ? .readOnly : .readWrite, options: options,
                permissions: create ? [.ownerReadWrite] : nil)
        } catch {
            throw StorageError.io(operation: "open", path: path, errno: error as? Errno ?? .ioError)
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset`, or fewer only at end of file.
    /// Returns the number of bytes read.
    @discardableResult
    package static func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, path: String) throws
        -> Int
    {
        var done = 0
        while done < buffer.count {
            let n: Int
            do {
                n = try fd.read(
                    fromAbsoluteOffset: Int64(offset) + Int64(done),
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), retryOnInterrupt: true)
            } catch {
                throw StorageError.io(operation: "read", path: path, errno: error as? Errno ?? .ioError)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads `count` bytes at `offset` into a new array (shorter at end of file).
    package static func read(_ fd: FileDescriptor, count: Int, at offset: UInt64, path: String) throws -> [UInt8] {
        // Uninitialized: the read fills it, and zeroing first was a measurable share of every fetch.
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try read(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset, path: path)
        }
    }

    /// Writes all of `bytes` at `offset`.
    package static func write(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: UInt64, path: String)
        throws
    {
        var end = bytes.count
        if try IOFaults.check(.write, path) == .shortWrite { end = bytes.count / 2 }
        var done = 0
        while done < end {
            do {
                done += try fd.write(
                    toAbsoluteOffset: Int64(offset) + Int64(done),
                    UnsafeRawBufferPointer(rebasing: bytes[done..<end]), retryOnInterrupt: true)
            } catch {
                throw StorageError.io(operation: "write", path: path, errno: error as? Errno ?? .ioError)
            }
        }
        if end < bytes.count {
            throw StorageError.io(operation: "write (injected short write)", path: path, errno: .ioError)
        }
    }

    /// The file's size in bytes.
    package static func size(_ fd: FileDescriptor, path: String) throws -> UInt64 {
        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else { throw StorageError.io(operation: "fstat", path: path, errno: Errno(rawValue: errno)) }
        return UInt64(info.st_size)
    }

    /// Cuts or extends the file to `size` bytes.
    package static func truncate(_ fd: FileDescriptor, to size: UInt64, path: String) throws {
        try IOFaults.check(.truncate, path)
        while ftruncate(fd.rawValue, off_t(size)) != 0 {
            if Errno(rawValue: errno) == Errno.interrupted { continue }
            throw StorageError.io(operation: "ftruncate", path: path, errno: Errno(rawValue: errno))
        }
        SyncedLengths.truncated(path: path, to: size)
    }

    /// Flushes the file's data (and the metadata needed to read it back) to stable storage.
    package static func dataSync(_ fd: FileDescriptor, path: String) throws {
        try IOFaults.check(.fsync, path)
        let covered = SyncedLengths.sizeBeforeSync(fd, path: path)
        #if canImport(Glibc)
        let result = fdatasync(fd.rawValue)
        #else
        let result = fsync(fd.rawValue)
        #endif
        guard result == 0 else { throw StorageError.io(operation: "fdatasync", path: path, errno: Errno(rawValue: errno)) }
        SyncedLengths.synced(covered, path: path)
    }

    /// Fsyncs a directory, making file creations, renames and deletions in it durable.
    package static func syncDirectory(_ path: String) throws {
        try IOFaults.check(.fsync, path)
        let fd = try open(path, readOnly: true)
        defer { try? fd.close() }
        guard fsync(fd.rawValue) == 0 else { throw StorageError.io(operation: "fsync directory", path: path, errno: Errno(rawValue: errno)) }
    }

    /// Creates a directory (and its parents) if missing.
    package static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && Errno(rawValue: errno) != Errno.fileExists {
                throw StorageError.io(operation: "mkdir", path: current, errno: Errno(rawValue: errno))
            }
        }
    }

    /// Whether a path exists.
    package static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether a path is a directory (not following a final symbolic link).
    package static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory, without "." and "..".
    package static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw StorageError.io(operation: "opendir", path: path, errno: Errno(rawValue: errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a file.
    package static func remove(_ path: String) throws {
        try IOFaults.check(.unlink, path)
        guard unlink(path) == 0 || Errno(rawValue: errno) == Errno.noSuchFileOrDirectory else {
            throw StorageError.io(operation: "unlink", path: path, errno: Errno(rawValue: errno))
        }
    }

    /// Renames a file, replacing the target.
    package static func rename(_ from: String, to: String) throws {
        try IOFaults.check(.rename, from)
        guard Glibc.rename(from, to) == 0 else { throw StorageError.io(operation: "rename", path: from, errno: Errno(rawValue: errno)) }
    }

    /// Removes a directory and everything in it.
    package static func removeTree(_ path: String) throws {
        for name in try list(path) {
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                try removeTree(child)
            } else {
                try remove(child)
            }
        }
        guard rmdir(path) == 0 || Errno(rawValue: errno) == Errno.noSuchFileOrDirectory else {
            throw StorageError.io(operation: "rmdir", path: path, errno: Errno(rawValue: errno))
        }
    }

    /// Replaces `path` with `bytes` atomically: write a temporary file, fdatasync it, rename it over
    /// the target, then fsync the directory. A crash leaves either the old or the new contents.
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = try open(temporary, create: true)
        do {
            try truncate(fd, to: 0, path: temporary)
            try bytes.withUnsafeBytes { (raw) in try write(fd, raw, at: 0, path: temporary) }
            try dataSync(fd, path: temporary)
            try? fd.close()
        } catch {
            try? fd.close()
            try? remove(temporary)
            throw error
        }
        try rename(temporary, to: path)
        try syncDirectory(parent(of: path))
    }

    /// Reads a whole small file.
    package static func readAll(_ path: String) throws -> [UInt8] {
        let fd = try open(path, readOnly: true)
        defer { try? fd.close() }
        let count = try size(fd, path: path)
        return try read(fd, count: Int(count), at: 0, path: path)
    }

    /// The directory part of a path.
    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }
}
