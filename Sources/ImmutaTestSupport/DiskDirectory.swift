#if canImport(Glibc)
import Glibc
#endif

/// Temporary directories on a disk-backed file system, for tests of durability. On a tmpfs (where
/// ``temporaryBase`` usually is) fdatasync does nothing, so a test that a sync happened, or that a
/// record survived, could not tell a working engine from one that never syncs.
public enum DiskDirectory {
    /// `$IMMUTA_TEST_DISK_TMPDIR` when set, else /var/tmp (disk-backed by convention, unlike
    /// /tmp on many systems). Checked with statfs: a RAM-backed base is an error, not a fallback.
    public static func base() throws -> String {
        let base = getenv("IMMUTA_TEST_DISK_TMPDIR").map { String(cString: $0) } ?? "/var/tmp"
        try requireDiskBacked(base)
        return base
    }

    /// Throws unless `path` is on a file system that keeps data on a device.
    public static func requireDiskBacked(_ path: String) throws {
        #if canImport(Glibc)
        let type = try fileSystemType(path)
        // TMPFS_MAGIC and RAMFS_MAGIC (linux/magic.h).
        let memoryBacked: [UInt: String] = [0x0102_1994: "tmpfs", 0x8584_58F6: "ramfs"]
        if let name = memoryBacked[type] {
            throw TestSupportError("\(path) is on a \(name), where fdatasync does nothing; set IMMUTA_TEST_DISK_TMPDIR to a directory on a disk")
        }
        #endif
    }

    /// statfs(2)'s f_type for `path`. Swift's Glibc module leaves out <sys/vfs.h>, so statfs is
    /// looked up at run time; f_type is the struct's first field, a `long`, on every Linux ABI.
    private static func fileSystemType(_ path: String) throws -> UInt {
        typealias Statfs = @convention(c) (UnsafePointer<CChar>, UnsafeMutableRawPointer) -> Int32
        guard let symbol = dlsym(nil, "statfs") else { throw TestSupportError("statfs is not available") }
        let call = unsafeBitCast(symbol, to: Statfs.self)
        // struct statfs is 120 bytes on x86_64 and aarch64; leave room for any other layout.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        guard call(path, buffer) == 0 else { throw TestSupportError("statfs \(path) failed (errno \(errno))") }
        return UInt(bitPattern: buffer.load(as: Int.self))
    }

    /// Creates a new empty directory under ``base()``; the caller removes it.
    public static func make(_ label: String = "disk") throws -> String {
        let directory = try makeTemporaryDirectory(label, in: try base())
        try requireDiskBacked(directory)
        return directory
    }
}

/// Runs `body` with a fresh directory on a disk-backed file system (``DiskDirectory``) and removes
/// it afterwards.
public func withDiskTemporaryDirectory<T>(
    _ label: String = "disk",
    isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> T
) async throws -> T {
    let directory = try DiskDirectory.make(label)
    defer { try? TestFiles.removeTree(directory) }
    return try await body(directory)
}
