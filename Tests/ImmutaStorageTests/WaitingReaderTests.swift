import ImmutaLocks
import ImmutaTestSupport
import Synchronization
import Testing

@testable import ImmutaStorage

/// Readers waiting for records: woken by the append that brings them (no polling), or by a
/// timeout, a cancellation or the log closing.
@Suite(.timeLimit(.minutes(10))) struct WaitingReaderTests {
    private func waiterCount(_ log: RecordLog) -> Int { log.shared.withLock { $0.waiters.count } }

    @Test func appendWakesWaitingReaders() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "wait log", configuration: TestLogs.small())
            for round in 0..<20 {
                let next = log.bounds.nextOffset
                let waiter = Task { try await log.waitForRecords(beyond: next) }
                #expect(await eventually { waiterCount(log) == 1 }, "the reader registered")
                #expect(waiterCount(log) == 1, "still waiting, round \(round)")
                try log.append(Array(repeating: [UInt8(round)], count: round % 3 + 1))
                #expect(waiterCount(log) == 0, "the append took the waiter")
                #expect(try await waiter.value)
            }
            // Waiters at several offsets wake only once their offset is reached.
            let next = log.bounds.nextOffset
            let waiters = (0..<4).map { k in Task { try await log.waitForRecords(beyond: next + UInt64(k)) } }
            #expect(await eventually { waiterCount(log) == 4 })
            try log.append([[1]])
            #expect(try await waiters[0].value)
            #expect(waiterCount(log) == 3)
            try log.append([[2], [3]])
            #expect(try await waiters[1].value)
            #expect(try await waiters[2].value)
            #expect(waiterCount(log) == 1)
            try log.append([[4]])
            #expect(try await waiters[3].value)
            // A record that is already there needs no wait.
            #expect(try await log.waitForRecords(beyond: 0, timeout: .zero))
            try log.close()
        }
    }

    @Test func timeoutReturnsFalse() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "wait log", configuration: TestLogs.small())
            try log.append([[1]])
            let clock = ContinuousClock()
            for timeout in [Duration.milliseconds(1), .milliseconds(20), .milliseconds(50)] {
                let start = clock.now
                #expect(try await log.waitForRecords(beyond: 1, timeout: timeout) == false)
                #expect(clock.now - start >= timeout)
                #expect(waiterCount(log) == 0, "a timed-out wait leaves no waiter behind")
            }
            // A record arriving before the timeout wins.
            let waiter = Task { try await log.waitForRecords(beyond: 1, timeout: .seconds(60)) }
            #expect(await eventually { waiterCount(log) == 1 })
            try log.append([[2]])
            #expect(try await waiter.value)
            try log.close()
        }
    }

    @Test func cancellationThrows() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "wait log", configuration: TestLogs.small())
            for timeout in [nil, Duration.seconds(60)] {
                let waiter = Task { try await log.waitForRecords(beyond: 0, timeout: timeout) }
                #expect(await eventually { waiterCount(log) == 1 })
                waiter.cancel()
                await #expect(throws: CancellationError.self) { try await waiter.value }
                #expect(waiterCount(log) == 0, "a cancelled wait leaves no waiter behind")
            }
            // A task that is cancelled before it waits.
            for _ in 0..<20 {
                let waiter = Task {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return try await log.waitForRecords(beyond: 0)
                }
                await #expect(throws: CancellationError.self) { try await waiter.value }
            }
            #expect(waiterCount(log) == 0, "waits cancelled up front leave no waiter behind")
            // The log is unaffected: later waits and appends work.
            let waiter = Task { try await log.waitForRecords(beyond: 0) }
            #expect(await eventually { waiterCount(log) == 1 })
            try log.append([[1]])
            #expect(try await waiter.value)
            try log.close()
        }
    }

    @Test func closeWakesWaitersWithClosed() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "wait log", configuration: TestLogs.small())
            try log.append([[1]])
            let waiters = (0..<5).map { k in Task { try await log.waitForRecords(beyond: 1 + UInt64(k), timeout: k % 2 == 0 ? nil : .seconds(60)) } }
            #expect(await eventually { waiterCount(log) == 5 })
            try log.close()
            for waiter in waiters {
                await #expect(throws: StorageError.closed(log: "wait log")) { try await waiter.value }
            }
            await #expect(throws: StorageError.closed(log: "wait log")) { try await log.waitForRecords(beyond: 1) }
            #expect(waiterCount(log) == 0)
        }
    }

    @Test func callbacksAndCancelWait() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir, name: "wait log", configuration: TestLogs.small())
            try log.append([[1]])
            let fired = Locked<[Int]>([])
            // A record already there: no registration, no call.
            #expect(log.whenRecords(beyond: 0) { fired.withLock { $0.append(0) } } == nil)

            let (stream, continuation) = AsyncStream<Int>.makeStream()
            let token = try #require(log.whenRecords(beyond: 1) { fired.withLock { $0.append(1) }; continuation.yield(1) })
            let cancelled = try #require(log.whenRecords(beyond: 1) { fired.withLock { $0.append(2) } })
            let later = try #require(log.whenRecords(beyond: 3) { fired.withLock { $0.append(3) }; continuation.yield(3) })
            #expect(log.cancelWait(cancelled))
            #expect(!log.cancelWait(cancelled), "a second cancel finds nothing")

            try log.append([[2]])
            var events = stream.makeAsyncIterator()
            #expect(await events.next() == 1)
            #expect(fired.withLock { $0 } == [1], "only the live wait at offset 1 fired, once")
            #expect(!log.cancelWait(token), "a wait that fired cannot be cancelled")
            try log.append([[3]])
            #expect(fired.withLock { $0 } == [1])
            try log.append([[4]])
            #expect(await events.next() == 3)
            #expect(fired.withLock { $0 } == [1, 3])
            #expect(!log.cancelWait(later))

            // Closing calls every registered callback; none registers afterwards.
            let (closing, closed) = AsyncStream<Void>.makeStream()
            #expect(log.whenRecords(beyond: 100) { closed.yield() } != nil)
            try log.close()
            var closeEvents = closing.makeAsyncIterator()
            #expect(await closeEvents.next() != nil)
            #expect(log.whenRecords(beyond: 100) { Issue.record("registered after close") } == nil)
        }
    }
}
