#if IMMUTA_PTHREAD_LOCK
#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex: the lock ThreadSanitizer builds use
/// (`scripts/sanitize.sh thread` passes `-D IMMUTA_PTHREAD_LOCK`).
///
/// On Linux, `Synchronization.Mutex` waits in the Swift runtime's futex code, which is not
/// instrumented, so ThreadSanitizer reports every contended critical section as a race. A
/// pthread mutex is intercepted by ThreadSanitizer, so with it a report is a real race.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ initialValue: Value) {
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
#else
import Synchronization

/// The project's lock: `Synchronization.Mutex`, except in ThreadSanitizer builds (see the
/// `IMMUTA_PTHREAD_LOCK` branch of this file).
public typealias Locked<Value> = Mutex<Value>
#endif
