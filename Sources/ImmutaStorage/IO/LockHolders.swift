import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The lock files this process holds a ``DataDirectoryLock`` on, by device and inode.
///
/// An flock belongs to an open file description, and a child this process is spawning holds a copy
/// of every descriptor from its fork to its exec (O_CLOEXEC closes them only at the exec). A lock
/// released in that window stays held, with our own pid in the file, for that instant. Knowing
/// which locks are really held here tells that instant apart from a second owner in this process,
/// which is refused at once.
enum LockHolders {
    struct Identity: Hashable {
        let device: UInt64
        let inode: UInt64

        /// The identity of an open file, or nil when fstat fails.
        init?(descriptor: CInt) {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private static let held = Mutex<[Identity: Int]>([:])

    static func isHeldHere(_ identity: Identity) -> Bool {
        held.withLock { $0[identity, default: 0] > 0 }
    }

    static func add(_ identity: Identity) {
        held.withLock { $0[identity, default: 0] += 1 }
    }

    static func remove(_ identity: Identity) {
        held.withLock { holders in
            let remaining = holders[identity, default: 1] - 1
            holders[identity] = remaining > 0 ? remaining : nil
        }
    }
}
