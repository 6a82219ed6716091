import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Topic names become directory names, so only a safe set is accepted; topics are created and
/// deleted atomically and found again on open.
@Suite(.timeLimit(.minutes(10))) struct TopicStoreTests {
    private func expectInvalid(_ store: TopicStore, _ name: String, says: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try store.create(name, configuration: TestLogs.small())
            Issue.record("\(String(reflecting: name)) was accepted", sourceLocation: sourceLocation)
        } catch let error as StorageError {
            guard case .invalidName(let rejected, let reason) = error else {
                Issue.record("\(String(reflecting: name)): \(error) instead of .invalidName", sourceLocation: sourceLocation)
                return
            }
            #expect(rejected == name, sourceLocation: sourceLocation)
            #expect(reason.contains(says), "\(String(reflecting: name)): \(reason)", sourceLocation: sourceLocation)
            #expect(reason.hasSuffix(SafeName.rule), "the message says what is allowed: \(reason)", sourceLocation: sourceLocation)
            #expect(String(describing: error).contains("use 1 to 255 ASCII letters, digits, '.', '_' or '-', not starting with '.'"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(String(reflecting: name)): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func invalidNamesAreRefusedAndCreateNothing() async throws {
        try await withTemporaryDirectory { dir in
            let (store, _) = try TopicStore.open(dataDirectory: dir)
            expectInvalid(store, "", says: "is empty")
            for name in [".", "..", ".hidden", ".creating-x", "..."] { expectInvalid(store, name, says: "starts with '.'") }
            for name in ["a/b", "/abs", "a/", "../etc"] {
                expectInvalid(store, name, says: name.hasPrefix(".") ? "starts with '.'" : "contains '/'")
            }
            expectInvalid(store, "a\u{0}b", says: "contains byte 0x00")
            for byte in Array(UInt8(0x00)...UInt8(0x1F)) + [0x7F] {
                let hex = String(byte, radix: 16, uppercase: true)
                let shown = "byte 0x" + (hex.count == 1 ? "0" : "") + hex
                let control = String(decoding: [byte], as: UTF8.self)
                expectInvalid(store, control, says: "contains \(shown)")
                expectInvalid(store, "topic" + control, says: "contains \(shown)")
                expectInvalid(store, "a" + control + "b", says: "contains \(shown)")
            }
            for character in [" ", "*", "?", ":", "\\", "\"", "'", "~", "+", "=", "@"] {
                expectInvalid(store, "a\(character)b", says: "contains '\(character)'")
            }
            expectInvalid(store, "caf\u{E9}", says: "contains byte 0xC3")
            expectInvalid(store, String(repeating: "a", count: 256), says: "is 256 bytes long")
            expectInvalid(store, String(repeating: "b", count: 1000), says: "is 1000 bytes long")
            #expect(try TestFiles.list(store.topicsDirectory).isEmpty)
            #expect(store.list().isEmpty)
        }
    }

    @Test func validNamesWork() async throws {
        try await withTemporaryDirectory { dir in
            let (store, _) = try TopicStore.open(dataDirectory: dir)
            let names = ["orders", "orders.dlq", "a_b-1", "A", "9", "a..b", "x.", String(repeating: "n", count: 255), "-dash", "_under"]
            for name in names {
                let topic = try store.create(name, configuration: TestLogs.small())
                #expect(topic.name == name && topic.directory == store.topicsDirectory + "/" + name)
                try topic.log.append([Array(name.utf8)])
                #expect(TestFiles.exists(topic.directory + "/topic.json"))
            }
            #expect(try TestFiles.list(store.topicsDirectory) == names.sorted())
            #expect(store.list().map(\.name) == names.sorted())
            #expect(throws: StorageError.topicExists("orders")) { try store.create("orders") }
            try store.close()

            let (reopened, reports) = try TopicStore.open(dataDirectory: dir)
            #expect(reopened.list().map(\.name) == names.sorted())
            #expect(reports.count == names.count && reports.values.allSatisfy { $0.isClean })
            for name in names {
                let topic = try reopened.topic(name)
                #expect(try readAll(topic.log).map(\.payload) == [Array(name.utf8)])
                #expect(topic.log.configuration == TestLogs.small())
            }
            // Deleting works for every name, the longest too.
            for name in names { try reopened.delete(name) }
            #expect(try TestFiles.list(reopened.topicsDirectory).isEmpty)
            #expect(throws: StorageError.topicNotFound("orders")) { try reopened.delete("orders") }
            #expect(throws: StorageError.topicNotFound("orders")) { try reopened.topic("orders") }
            try reopened.close()
        }
    }

    @Test func createDeleteReopen() async throws {
        try await withTemporaryDirectory { dir in
            let (store, reports) = try TopicStore.open(dataDirectory: dir)
            #expect(reports.isEmpty && store.topicsDirectory == dir + "/topics")
            let orders = try store.create("orders", configuration: TestLogs.small(durability: .fsync))
            let appended = try orders.log.append([[1], [2]])
            try await orders.log.waitUntilDurable(appended)
            try store.create("events", configuration: TestLogs.small())
            let gone = try store.create("gone", configuration: TestLogs.small())
            try gone.log.append([[3]])
            try store.delete("gone")
            #expect(store.existingTopic("gone") == nil)
            #expect(!TestFiles.exists(store.topicsDirectory + "/gone"))
            #expect(throws: StorageError.closed(log: "topic gone"), "a deleted topic's log is closed") { try gone.log.append([[4]]) }
            // The name can be used again, for a new, empty topic.
            #expect(try store.create("gone", configuration: TestLogs.small()).log.bounds.nextOffset == 0)
            try store.close()

            // Leftovers of a create and a delete that a crash interrupted.
            for leftover in [".creating-orders2", ".deleting-old-123", ".creating-" + String(repeating: "z", count: 200)] {
                try TestFiles.makeDirectory(store.topicsDirectory + "/" + leftover)
                try TestFiles.write([1, 2, 3], to: store.topicsDirectory + "/" + leftover + "/00000000000000000000.log")
            }
            let (reopened, again) = try TopicStore.open(dataDirectory: dir)
            #expect(reopened.list().map(\.name) == ["events", "gone", "orders"])
            #expect(again.values.allSatisfy { $0.isClean })
            #expect(try TestFiles.list(reopened.topicsDirectory) == ["events", "gone", "orders"])
            #expect(try readAll(try reopened.topic("orders").log).map(\.payload) == [[1], [2]])
            #expect(try reopened.topic("orders").log.configuration.durability == .fsync)
            try reopened.close()
        }
    }
}
