import ImmutaLocks
import Synchronization
import SystemPackage

/// The power-loss model's memory: while recording, the size of every file at its last successful
/// fdatasync. A power loss keeps at least that much of each file and may keep any part of what
/// was written after it (in any state), so a test crashes, cuts each file back to a point at or
/// after its synced length, damages what lies beyond it, and checks recovery against what was
/// acknowledged. Off, it costs one relaxed atomic load per fdatasync.
public enum SyncedLengths {
    private static let recording = Atomic<Bool>(false)
    private static let lengths = Locked<[String: UInt64]>([:])

    /// Starts recording, forgetting earlier lengths.
    public static func start() {
        lengths.withLock { $0.removeAll() }
        recording.store(true, ordering: .relaxed)
    }

    /// Stops recording and returns the synced length of every file flushed meanwhile, by path.
    public static func stop() -> [String: UInt64] {
        recording.store(false, ordering: .relaxed)
        return lengths.withLock { $0 }
    }

    static func record(_ fd: FileDescriptor, path: String) {
        guard recording.load(ordering: .relaxed), let size = try? FileIO.size(fd, path: path) else { return }
        lengths.withLock { $0[path] = size }
    }
}
