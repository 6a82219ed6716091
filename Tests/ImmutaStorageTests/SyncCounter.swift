import ImmutaLocks
import Synchronization

#if canImport(Glibc)
import Glibc

/// Records every real fdatasync the test process makes, with the file's path and size at the
/// call, so durability tests can tell whether the engine synced a file and how far.
///
/// The engine calls libc's `fdatasync`, and its code is linked statically into the test
/// executable, so this definition of the symbol takes precedence over libc's for every call in
/// the process (as in immuta-storage-bench's SyncCounter): it records the call and forwards it to
/// libc's own function (`dlsym(RTLD_NEXT)`). The engine is unchanged and the sync is the real one.
/// Tests running in parallel sync their own files: each test looks only at its own paths.
enum SyncCounter {
    struct Call: Sendable {
        var path: String
        var size: Int
    }

    private static let calls = Locked<[Call]>([])

    /// libc's fdatasync.
    private static let forward: @convention(c) (Int32) -> Int32 = {
        let next = UnsafeMutableRawPointer(bitPattern: -1)  // RTLD_NEXT
        guard let symbol = dlsym(next, "fdatasync") else { fatalError("dlsym(RTLD_NEXT, fdatasync) failed") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// The fdatasync calls made so far on `path` (a canonical path, see ``canonical(_:)``).
    static func calls(on path: String) -> [Call] {
        calls.withLock { $0.filter { $0.path == path } }
    }

    /// The path as /proc/self/fd reports it: symbolic links resolved.
    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    fileprivate static func record(_ fd: Int32) -> Int32 {
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : -1
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        let path = length > 0 ? String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "fd \(fd)"
        calls.withLock { $0.append(Call(path: path, size: size)) }
        return forward(fd)
    }
}

@_cdecl("fdatasync")
func countingFdatasync(_ fd: Int32) -> Int32 {
    SyncCounter.record(fd)
}
#endif
