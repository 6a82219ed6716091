import ImmutaLocks
import Synchronization
import SystemPackage

/// The power-loss model's memory: while recording, how much of every file its fdatasyncs have
/// covered. A power loss keeps at least that much of each file and may keep any part of what
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

    /// The file's size now, when recording: taken before an fdatasync, it is what the sync is
    /// certain to cover. (Measured after it, it could include bytes another thread appended
    /// meanwhile, which the sync did not cover.)
    static func sizeBeforeSync(_ fd: FileDescriptor, path: String) -> UInt64? {
        guard recording.load(ordering: .relaxed) else { return nil }
        return try? FileIO.size(fd, path: path)
    }

    /// Records that an fdatasync covered the first `size` bytes. Two threads may flush one file
    /// (the writer at a roll, the sync loop), and the one that finishes last may have measured
    /// less: the larger length stands.
    static func synced(_ size: UInt64?, path: String) {
        guard let size, recording.load(ordering: .relaxed) else { return }
        lengths.withLock { $0[path] = max($0[path] ?? 0, size) }
    }

    /// A file cut to `size` keeps at most that much of what was synced.
    static func truncated(path: String, to size: UInt64) {
        guard recording.load(ordering: .relaxed) else { return }
        lengths.withLock { lengths in
            if let synced = lengths[path], synced > size { lengths[path] = size }
        }
    }
}
