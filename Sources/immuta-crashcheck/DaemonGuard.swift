import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The pid of the immutad this process runs now (0: none), for the signal handlers.
private let currentDaemon = Atomic<Int32>(0)
/// The tmpfs mounted by the disk-full scenario, unmounted by the signal handlers.
nonisolated(unsafe) private var mountedPath: UnsafeMutablePointer<CChar>?

/// Makes sure no immutad outlives the checker, however the checker ends.
///
/// Three layers, because each covers a way of dying the others miss:
/// - a pipe whose write end only this process holds is placed on every child's stdin; the launcher
///   script (``DaemonLauncher``) forks a guard that kills immutad when it reads EOF there, which
///   happens even when the checker is SIGKILLed;
/// - SIGINT, SIGTERM and SIGHUP handlers kill the daemon and unmount the tmpfs at once;
/// - the scenarios stop or kill their daemon themselves on every normal path.
enum DaemonGuard {
    static func install() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        // The read end becomes stdin of every child; the write end is never written and closes
        // only when this process ends (CLOEXEC keeps it out of the children).
        dup2(fds[0], 0)
        close(fds[0])
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { received in
                let pid = currentDaemon.load(ordering: .relaxed)
                if pid > 0 { kill(pid, SIGKILL) }
                if let path = mountedPath { umount2(path, Int32(MNT_DETACH)) }
                _exit(128 + received)
            }
        }
    }

    /// Remembers the running daemon (0 when none runs).
    static func track(pid: Int32) { currentDaemon.store(pid, ordering: .relaxed) }

    /// Remembers a mounted tmpfs (nil once unmounted).
    static func trackMount(_ path: String?) {
        let old = mountedPath
        mountedPath = path.map { strdup($0) }
        free(old)
    }
}
