import ImmutaProtocol
import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

extension Broker {
    /// STATS entries about the daemon on its host, for `immutactl status`: its pid, its consumer
    /// groups, the bytes its topics take and the space left on the data directory's filesystem.
    /// Read on a worker (statvfs may wait on a slow disk).
    func hostFigures() -> [(String, Int64)] {
        var figures: [(String, Int64)] = [
            ("pid", Int64(getpid())),
            ("groups", Int64(groups.list(topic: nil).count)),
            ("disk_used_bytes", Int64(clamping: store.list().reduce(UInt64(0)) { $0 + info($1).bytes })),
        ]
        var filesystem = statvfs()
        if statvfs(configuration.dataDirectory, &filesystem) == 0 {
            figures.append(("disk_free_bytes", Int64(clamping: UInt64(filesystem.f_bavail) * UInt64(filesystem.f_frsize))))
        }
        return figures
    }
}
