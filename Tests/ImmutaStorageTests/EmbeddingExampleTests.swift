import ImmutaLocks
import Synchronization
import ImmutaStorage
import ImmutaTestSupport
import Testing

/// The example in docs/EMBEDDING.md compiles, runs and prints what its comments say: the test holds
/// the same code, and checks that the page still shows exactly that code.
@Suite(.timeLimit(.minutes(10))) struct EmbeddingExampleTests {
    @Test func theExampleRunsAndPrintsWhatItsCommentsSay() async throws {
        try await withTemporaryDirectory { dir in
            let example = EmbeddingExample()
            try await withDeadline("the example to finish") { try await example.runEvents(in: dir + "/events") }
            #expect(example.lines.printed.withLock { $0 } == ["0 hello", "1 second", "2 third", "second", #"["fourth", "fifth"]"#])
        }
    }

    @Test func theDocumentShowsThisCode() throws {
        let root = String(#filePath).split(separator: "/").dropLast(3).joined(separator: "/")
        let page = String(decoding: try TestFiles.read("/" + root + "/docs/EMBEDDING.md"), as: UTF8.self)
        let source = String(decoding: try TestFiles.read(#filePath), as: UTF8.self)
        let shown = try #require(Self.text(of: page, between: "```swift\n", and: "```"))
        let tested = try #require(Self.text(of: source, between: "    // The example begins.\n", and: "    // The example ends."))
        let unindented = tested.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("    ") ? $0.dropFirst(4) : $0 }
        #expect(shown == "import ImmutaStorage\n\n" + unindented.joined(separator: "\n"))
    }

    /// The text after the first `start` and before the next `end`.
    private static func text(of text: String, between start: String, and end: String) -> Substring? {
        guard let opening = text.firstRange(of: start) else { return nil }
        let rest = text[opening.upperBound...]
        return rest.firstRange(of: end).map { rest[..<$0.lowerBound] }
    }
}

/// The example, with a `print` that records what it prints.
private struct EmbeddingExample {
    /// The lines printed.
    final class Lines: Sendable {
        let printed = Locked<[String]>([])
    }

    let lines = Lines()

    func print(_ items: Any...) {
        let line = items.map { "\($0)" }.joined(separator: " ")
        lines.printed.withLock { $0.append(line) }
    }

    // The example begins.
    func runEvents(in directory: String) async throws {
        let events = try EmbeddedLog.open(directory: directory)

        // Append one record, or a batch that readers see whole or not at all. Under the default
        // durability, fsync, each call returns once its records are on disk.
        try await events.append(record: Array("hello".utf8))
        try await events.append([Array("second".utf8), Array("third".utf8)])

        // From the beginning (the seed's Stream(ctx, 0)): every record, then it waits for more.
        for try await record in try events.subscribe(from: .earliest) {
            print(record.offset, record.string)  // 0 hello, 1 second, 2 third
            if record.offset == 2 { break }  // stop: leave the loop
        }

        // From an offset (Stream(ctx, N)).
        var fromOffset = try events.subscribe(from: .offset(1)).makeAsyncIterator()
        print(try await fromOffset.next()?.string ?? "")  // second

        // Only records appended from now on (Stream(ctx, -1)). The start is fixed when subscribe
        // returns, so the task below misses nothing appended after this line.
        let latest = try events.subscribe(from: .latest)
        let follower = Task {
            var seen: [String] = []
            for try await record in latest {
                seen.append(record.string)
                if seen.count == 2 { break }
            }
            return seen
        }
        try await events.append(record: Array("fourth".utf8))
        try await events.append(record: Array("fifth".utf8))
        print(try await follower.value)  // ["fourth", "fifth"]

        // Stop a stream that waits in another task: cancel the task (closing the log ends it too).
        let waiting = Task {
            for try await record in try events.subscribe(from: .latest) { print(record.string) }
        }
        waiting.cancel()
        try await waiting.value  // the loop ended, without an error

        try events.close()  // flushes, ends every stream, and frees the directory for the next owner
    }
    // The example ends.
}
