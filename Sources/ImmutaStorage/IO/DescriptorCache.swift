import ImmutaLocks
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The open descriptors of a segment's two files.
package struct SegmentDescriptors: Sendable {
    package let data: FileDescriptor
    package let index: FileDescriptor
}

/// Bounds how many segment files the process keeps open, whatever the number of segments,
/// topics and groups: the least recently used are closed and reopened on demand.
///
/// A segment's files are pinned while a call uses them (``pin(_:open:)``), so eviction never
/// closes a descriptor under a read, a write or an fsync; pinned entries may take the cache past
/// its capacity for as long as they are pinned. Descriptors duplicated for sendfile are counted
/// as leases against the same capacity.
///
/// Hand-written rather than a library LRU: the pins, the leases and closing outside the lock
/// are the point, and swift-collections has no cache with them.
package final class DescriptorCache: Sendable {
    /// The cache every log of the process shares. immutad sets its capacity from
    /// `max_open_segment_files`.
    package static let shared = DescriptorCache(capacityFiles: 1024)

    private struct Entry {
        var files: SegmentDescriptors
        var pins = 0
        var lastUse: UInt64
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var clock: UInt64 = 0
        var capacityFiles: Int
        var leases = 0
        var nextID: UInt64 = 1
    }

    private let state: Locked<State>

    package init(capacityFiles: Int) {
        state = Locked(State(capacityFiles: capacityFiles))
    }

    /// The most files kept open (two per segment), plus leases.
    package var capacityFiles: Int {
        get { state.withLock { $0.capacityFiles } }
        set {
            let closing = state.withLock { state -> [SegmentDescriptors] in
                state.capacityFiles = max(4, newValue)
                return Self.evict(&state)
            }
            Self.close(closing)
        }
    }

    /// Files open now: cached segments' files and leases.
    package var openFiles: Int { state.withLock { $0.entries.count * 2 + $0.leases } }

    /// A fresh id for a segment.
    package func makeID() -> UInt64 {
        state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
    }

    /// The segment's files, pinned until ``unpin(_:)``; opened with `open` when not cached.
    package func pin(_ id: UInt64, open: () throws -> SegmentDescriptors) throws -> SegmentDescriptors {
        let cached = state.withLock { state -> SegmentDescriptors? in
            state.clock += 1
            guard var entry = state.entries[id] else { return nil }
            entry.pins += 1
            entry.lastUse = state.clock
            state.entries[id] = entry
            return entry.files
        }
        if let cached { return cached }
        // Opened outside the lock: an open can block on a slow disk.
        let files = try open()
        let (result, closing) = state.withLock { state -> (SegmentDescriptors, [SegmentDescriptors]) in
            state.clock += 1
            if var raced = state.entries[id] {
                raced.pins += 1
                raced.lastUse = state.clock
                state.entries[id] = raced
                return (raced.files, [files])
            }
            state.entries[id] = Entry(files: files, pins: 1, lastUse: state.clock)
            return (files, Self.evict(&state))
        }
        Self.close(closing)
        return result
    }

    package func unpin(_ id: UInt64) {
        let closing = state.withLock { state -> [SegmentDescriptors] in
            state.entries[id]?.pins -= 1
            return Self.evict(&state)
        }
        Self.close(closing)
    }

    /// Closes a segment's files (its segment is gone), or leaves them to the last unpin.
    package func forget(_ id: UInt64) {
        let closing = state.withLock { state -> [SegmentDescriptors] in
            guard let entry = state.entries[id], entry.pins == 0 else { return [] }
            state.entries[id] = nil
            return [entry.files]
        }
        Self.close(closing)
    }

    /// A duplicate of `descriptor` that outlives the pin (for sendfile), or nil when the cache
    /// has no room left for it: the caller then copies the data instead.
    package func leaseDuplicate(of descriptor: CInt) -> CInt? {
        let granted = state.withLock { state -> Bool in
            guard state.entries.count * 2 + state.leases < state.capacityFiles else { return false }
            state.leases += 1
            return true
        }
        guard granted else { return nil }
        let duplicate = dup(descriptor)
        if duplicate < 0 { state.withLock { $0.leases -= 1 } }
        return duplicate < 0 ? nil : duplicate
    }

    /// Closes a descriptor from ``leaseDuplicate(of:)``.
    package func returnLease(_ descriptor: CInt) {
        Glibc.close(descriptor)
        state.withLock { $0.leases -= 1 }
    }

    /// Drops the least recently used unpinned entries while over capacity; returns their files.
    private static func evict(_ state: inout State) -> [SegmentDescriptors] {
        var closing: [SegmentDescriptors] = []
        while state.entries.count * 2 + state.leases > state.capacityFiles {
            // A linear scan: it runs only on a miss beyond capacity, over at most a few thousand entries.
            var victim: (id: UInt64, lastUse: UInt64)?
            for (id, entry) in state.entries where entry.pins == 0 && entry.lastUse < (victim?.lastUse ?? .max) {
                victim = (id, entry.lastUse)
            }
            guard let victim, let entry = state.entries.removeValue(forKey: victim.id) else { break }
            closing.append(entry.files)
        }
        return closing
    }

    private static func close(_ files: [SegmentDescriptors]) {
        for file in files {
            try? file.data.close()
            try? file.index.close()
        }
    }
}
