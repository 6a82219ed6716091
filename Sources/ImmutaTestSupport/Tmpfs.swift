#if canImport(Glibc)
import Glibc
#endif

/// Small tmpfs mounts, for running a log out of disk space. Mounting needs root (CAP_SYS_ADMIN).
public enum Tmpfs {
    /// Whether this process may mount a tmpfs (tried once, on a scratch directory).
    public static let isAvailable: Bool = {
        #if canImport(Glibc)
        guard let directory = try? makeTemporaryDirectory("tmpfs-probe") else { return false }
        defer { try? TestFiles.removeTree(directory) }
        guard mount("tmpfs", directory, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount2(directory, 0)
        return true
        #else
        return false
        #endif
    }()

    /// Mounts a tmpfs of `sizeBytes` at a new temporary directory, runs `body` with its path,
    /// then unmounts it and removes the directory.
    public static func withMount<T>(
        sizeBytes: Int,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (String) async throws -> T
    ) async throws -> T {
        #if canImport(Glibc)
        let directory = try makeTemporaryDirectory("tmpfs")
        defer { try? TestFiles.removeTree(directory) }
        guard mount("tmpfs", directory, "tmpfs", 0, "size=\(sizeBytes)") == 0 else {
            throw TestSupportError("mounting a tmpfs at \(directory) failed with errno \(errno)")
        }
        defer { umount2(directory, Int32(MNT_DETACH)) }
        return try await body(directory)
        #else
        throw TestSupportError("tmpfs mounts need Linux")
        #endif
    }
}
