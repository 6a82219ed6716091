import ImmutaLocks
import ImmutaTestSupport
import Synchronization
import Testing

@testable import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// The embedded log owns its directory alone, and keeps the durability it is configured with.
@Suite(.timeLimit(.minutes(10))) struct EmbeddedLogOwnershipTests {
    @Test func aDirectoryHasOneOwnerAtATime() async throws {
        try await withTemporaryDirectory { dir in
            let directory = dir + "/events"
            let owner = try EmbeddedLog.open(directory: directory, configuration: TestLogs.small())
            #expect(owner.recovery.isClean)
            try await owner.append(record: EmbeddedTesting.payload(0))
            // However the path is spelled, a second opener is refused, with the reason and the way out.
            let parent = String(dir.split(separator: "/").last!)
            let spellings = [directory, directory + "/", directory + "/.", dir + "/./events", dir + "/../" + parent + "/events"]
            for spelling in spellings {
                let error = #expect(throws: DataDirectoryLockError.self, "\(spelling)") {
                    try EmbeddedLog.open(directory: spelling, configuration: TestLogs.small())
                }
                #expect(error?.isHeld == true && error?.holderPID == String(getpid()))
                let message = error.map { "\($0)" } ?? ""
                #expect(message.contains("\(spelling) is already open in this process"), "\(message)")
                #expect(message.contains("one owner at a time"), "\(message)")
            }
            // immutad and offline immutactl commands take the same lock, so they are kept out too.
            for mode in [DataDirectoryLock.Mode.owner, .exclusive, .shared] {
                #expect(throws: DataDirectoryLockError.self) { try DataDirectoryLock(dataDirectory: directory, mode: mode) }
            }
            #expect(owner.bounds.nextOffset == 1, "the refused openers changed nothing")
            try owner.close()

            // Closed, the directory is free for the next owner, which finds the records.
            let next = try EmbeddedLog.open(directory: directory, configuration: TestLogs.small())
            #expect(try await EmbeddedTesting.take(1, from: next.subscribe(from: .earliest)).map(\.payload) == [EmbeddedTesting.payload(0)])
            try next.close()

            // A daemon's lock keeps an embedded log out.
            let daemon = try DataDirectoryLock(dataDirectory: directory, mode: .owner)
            let refused = #expect(throws: DataDirectoryLockError.self) { try EmbeddedLog.open(directory: directory) }
            #expect(refused?.isHeld == true)
            daemon.release()

            // Dropping the last reference releases the directory too, but not while a stream lives.
            var stream: LogSubscription? = try EmbeddedLog.open(directory: directory, configuration: TestLogs.small()).subscribe()
            #expect(throws: DataDirectoryLockError.self) { try EmbeddedLog.open(directory: directory) }
            #expect(stream?.startOffset == 1)
            stream = nil
            try EmbeddedLog.open(directory: directory, configuration: TestLogs.small()).close()
        }
    }

    @Test func appendWaitsForTheDiskOnlyUnderFsync() async throws {
        try await withTemporaryDirectory { dir in
            let durabilities: [Durability] = [.fsync, .none, .interval(milliseconds: 3_600_000)]
            for durability in durabilities {
                let log = try EmbeddedLog.open(directory: dir + "/\(durability)", configuration: TestLogs.small(durability: durability))
                func synced() -> UInt64 { log.log.syncState.withLock { $0.synced } }
                for round in 0..<20 {
                    let result = try await log.append(Array(repeating: EmbeddedTesting.payload(UInt64(round)), count: round % 3 + 1))
                    if durability == .fsync {
                        #expect(synced() >= result.nextOffset, "fsync: on disk when append returns")
                    } else {
                        #expect(synced() < result.nextOffset, "\(durability): append does not wait for a flush")
                    }
                }
                // Any durability: waitUntilDurable waits for one batch.
                let last = try await log.append(record: EmbeddedTesting.payload(99))
                try await log.waitUntilDurable(last)
                #expect(synced() >= last.nextOffset, "\(durability)")
                try log.close()
            }
        }
    }
}
