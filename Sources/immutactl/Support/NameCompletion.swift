import ArgumentParser
import Immuta
import ImmutaLocks
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shell completion of topic names, asked of the daemon while the user presses Tab (the completion
/// scripts call `immutactl ---completion …` back). A daemon that is down, slow, or refuses gives
/// no suggestions: Tab must never hang or print an error into the user's command line.
enum NameCompletion {
    /// How long Tab may wait for the daemon (500 ms; IMMUTA_COMPLETION_TIMEOUT_MS changes it, for a
    /// slow machine). A socket-activated daemon that is still starting holds the connection in the
    /// backlog, so connecting alone is no proof of an answer.
    static var deadline: Duration {
        let requested = getenv("IMMUTA_COMPLETION_TIMEOUT_MS").flatMap { Int(String(cString: $0)) }
        return .milliseconds(max(1, requested ?? 500))
    }

    /// The topics whose names start with what is typed.
    static let topics = CompletionKind.custom { words, _, prefix in
        await names(words) { try await $0.listTopics().map(\.name) }.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The consumer groups whose names start with what is typed, of the topic named on the command
    /// line (`group describe orders <Tab>`, `consume orders --group <Tab>`): every group is listed,
    /// and those of a topic among the typed words are offered, which needs no parsing of a line
    /// that is only half written. No topic typed yet, every group's name.
    static let groups = CompletionKind.custom { words, _, prefix in
        let groups = await names(words) { try await $0.listGroups().map { "\($0.topic)\u{0}\($0.group)" } }
            .map { $0.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init) }
        let typed = Set(words)
        let ofTypedTopic = groups.filter { typed.contains($0[0]) }
        return Set((ofTypedTopic.isEmpty ? groups : ofTypedTopic).map { $0[1] }).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Asks the daemon named by the command line being completed (its `--socket`, else the usual
    /// default), giving up at the deadline.
    private static func names(
        _ words: [String], _ ask: @escaping @Sendable (ImmutaClient) async throws -> [String]
    ) async -> [String] {
        let connection = (try? ConnectionOptions.parse(socketArguments(in: words))) ?? ConnectionOptions()
        let answer = FirstAnswer()
        return await withCheckedContinuation { continuation in
            answer.waiting(continuation)
            // Not a task group: a group would wait for the daemon's answer even after the deadline.
            // The process exits as soon as the completions are printed, abandoning the request.
            Task { answer.give((try? await ImmutaClient.with(connection, ask)) ?? []) }
            Task {
                try? await Task.sleep(for: deadline)
                answer.give([])
            }
        }
    }

    /// `--socket PATH` or `--socket=PATH` from the words of the command line, if there.
    static func socketArguments(in words: [String]) -> [String] {
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--socket=") { return [word] }
            if word == "--socket", index + 1 < words.count, !words[index + 1].isEmpty { return [word, words[index + 1]] }
        }
        return []
    }

    /// Resumes the waiting continuation with the first answer given; later ones are dropped.
    private final class FirstAnswer: Sendable {
        private let continuation = Locked<CheckedContinuation<[String], Never>?>(nil)

        func waiting(_ waiting: CheckedContinuation<[String], Never>) {
            continuation.withLock { $0 = waiting }
        }

        func give(_ names: [String]) {
            continuation.withLock { continuation in
                continuation?.resume(returning: names)
                continuation = nil
            }
        }
    }
}
