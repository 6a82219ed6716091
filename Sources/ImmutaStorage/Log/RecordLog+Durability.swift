import ImmutaLocks
import Synchronization
import Dispatch

extension RecordLog {
    /// Waits until the batch is on stable storage (fdatasync of data and index). Concurrent callers
    /// share one fdatasync: whoever arrives while a flush runs is covered by the next one (group
    /// commit). Works whatever the log's durability setting: with `none` it forces a flush.
    public func waitUntilDurable(_ result: AppendResult) async throws {
        try await waitUntilDurable(upTo: result.nextOffset)
    }

    /// Waits until every record below `offset` is on stable storage.
    public func waitUntilDurable(upTo offset: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            whenDurable(upTo: offset) { failure in
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
        }
    }

    /// Calls `done` once every record below `offset` is on stable storage, with nil, or with the
    /// error that stopped the flush. It runs on the flushing thread (or at once, on this one, when
    /// there is nothing to wait for): keep it short. The callback form lets the daemon answer from
    /// the flushing thread straight to the connection's event loop, without a hop through a task.
    public func whenDurable(upTo offset: UInt64, _ done: @escaping @Sendable (StorageError?) -> Void) {
        enum Action { case now(StorageError?), startLoop, wait }
        let action = syncState.withLock { state -> Action in
            if let failure = state.failure { return .now(failure) }
            if state.synced >= offset { return .now(nil) }
            state.waiters.append((offset, done))
            state.requested = max(state.requested, offset)
            if state.running { return .wait }
            state.running = true
            return .startLoop
        }
        switch action {
        case .now(let failure): done(failure)
        case .startLoop: syncQueue.async { self.runSyncLoop() }
        case .wait: break
        }
    }

    /// Flushes everything written so far, synchronously.
    public func sync() throws {
        if let failure = self.failure { throw StorageError.failed(log: name, reason: failure.description) }
        do {
            for old in syncState.withLock({ $0.sealedUnflushed }) { try old.sync() }
            try shared.withLock { $0.segments[$0.segments.count - 1].segment }.sync()
        } catch {
            markFailed(error)
            throw error
        }
    }

    /// Asks for a background flush up to `offset` without waiting for it.
    func requestSync(upTo offset: UInt64) {
        let start = syncState.withLock { state -> Bool in
            state.requested = max(state.requested, offset)
            guard !state.running, state.synced < state.requested else { return false }
            state.running = true
            return true
        }
        if start { syncQueue.async { self.runSyncLoop() } }
    }

    /// Schedules one flush `milliseconds` from now unless one is already scheduled, so writes are
    /// flushed at most that often and never later than that.
    func armIntervalSync(milliseconds: Int) {
        let arm = syncState.withLock { state -> Bool in
            guard !state.intervalArmed else { return false }
            state.intervalArmed = true
            return true
        }
        guard arm else { return }
        syncQueue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
            let target = self.shared.withLock { $0.nextOffset }
            self.syncState.withLock { $0.intervalArmed = false }
            self.requestSync(upTo: target)
        }
    }

    /// Runs on the sync queue: flushes, then releases every waiter the flush covered, and goes
    /// round again while more was asked for meanwhile.
    private func runSyncLoop() {
        while true {
            // Older segments were flushed when the writer closed them (or wait in sealedUnflushed,
            // taken here first), so after them the active one suffices.
            let (target, segment) = shared.withLock { ($0.nextOffset, $0.segments[$0.segments.count - 1].segment) }
            let sealed = syncState.withLock { $0.sealedUnflushed }
            var failure: StorageError?
            do {
                for old in sealed { try old.sync() }
                syncState.withLock { state in state.sealedUnflushed.removeAll { old in sealed.contains { $0 === old } } }
                try segment.sync()
            } catch {
                failure = StorageError.wrap(error)
            }
            let (ready, more) = syncState.withLock { state -> ([@Sendable (StorageError?) -> Void], Bool) in
                if let failure {
                    // After a failed fdatasync the kernel may have dropped the dirty pages: nothing
                    // written since the last good flush can be called durable, now or later.
                    if state.failure == nil {
                        state.failure = failure
                        state.lastRecoveryAttempt = monotonicNanoseconds()
                    }
                    let all = state.waiters.map(\.done)
                    state.waiters.removeAll()
                    state.running = false
                    return (all, false)
                }
                state.synced = max(state.synced, target)
                var ready: [@Sendable (StorageError?) -> Void] = []
                state.waiters.removeAll { waiter in
                    guard waiter.target <= state.synced else { return false }
                    ready.append(waiter.done)
                    return true
                }
                let more = !state.waiters.isEmpty || state.requested > state.synced
                if !more { state.running = false }
                return (ready, more)
            }
            for done in ready { done(failure) }
            if !more { return }
        }
    }
}
