import Dispatch
import ImmutaLocks
import Synchronization

extension Array where Element: Sendable {
    /// `map` with the calls spread over the machine's cores (libdispatch's concurrentPerform), for
    /// start-up work that is one independent open per item: recovering 10,000 topics, or their
    /// groups, is mostly system calls, and on one thread it took seconds. Results keep the
    /// items' order; when calls fail, the error of the first failing item (in order) is thrown,
    /// after every call has ended.
    package func concurrentMap<Result: Sendable>(_ body: @Sendable (Element) throws -> Result) throws -> [Result] {
        guard count > 1 else { return try map(body) }
        let outcomes = Locked<[Int: Swift.Result<Result, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let outcome = Swift.Result { try body(self[index]) }
            outcomes.withLock { $0[index] = outcome }
        }
        let all = outcomes.withLock { $0 }
        return try (0..<count).map { try all[$0]!.get() }
    }
}
