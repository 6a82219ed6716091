import Synchronization

#if canImport(Glibc)
import Glibc

/// Counts the fdatasync calls the storage engine makes, to show what group commit saves.
///
/// The engine calls libc's `fdatasync`. Its code is linked statically into this executable, so a
/// definition of the `fdatasync` symbol here takes precedence over libc's for every call in the
/// process: it counts the call and forwards it to libc's own function (found with
/// `dlsym(RTLD_NEXT)`). The engine is not changed and the sync itself is the real one.
enum SyncCounter {
    private static let calls = Atomic<UInt64>(0)

    /// libc's fdatasync.
    private static let forward: @convention(c) (Int32) -> Int32 = {
        let next = UnsafeMutableRawPointer(bitPattern: -1)  // RTLD_NEXT
        guard let symbol = dlsym(next, "fdatasync") else { fatalError("dlsym(RTLD_NEXT, fdatasync) failed") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// fdatasync calls so far.
    static var count: UInt64 { calls.load(ordering: .relaxed) }

    /// Whether calls are being counted (false when the interposition did not take).
    static var isActive: Bool { active.load(ordering: .relaxed) }
    private static let active = Atomic<Bool>(false)

    fileprivate static func record(_ fd: Int32) -> Int32 {
        calls.add(1, ordering: .relaxed)
        active.store(true, ordering: .relaxed)
        return forward(fd)
    }
}

@_cdecl("fdatasync")
func countingFdatasync(_ fd: Int32) -> Int32 {
    SyncCounter.record(fd)
}
#else
enum SyncCounter {
    static var count: UInt64 { 0 }
    static var isActive: Bool { false }
}
#endif
