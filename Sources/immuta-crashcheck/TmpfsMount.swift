import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs: a real filesystem that fills up. Unmounted on every path out of ``with``,
/// and by the signal handlers if the checker is interrupted.
enum TmpfsMount {
    enum Result<T> {
        case ran(T)
        case refused(String)
    }

    static func with<T>(at path: String, sizeBytes: Int, _ body: () async throws -> T) async throws -> Result<T> {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(sizeBytes)") == 0 else {
            return .refused(String(cString: strerror(errno)))
        }
        DaemonGuard.trackMount(path)
        defer {
            // Lazy: a daemon killed a moment ago may still hold files open there.
            umount2(path, Int32(MNT_DETACH))
            DaemonGuard.trackMount(nil)
        }
        return .ran(try await body())
    }
}
