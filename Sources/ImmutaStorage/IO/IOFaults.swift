import ImmutaLocks
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The storage engine's fault-injection seam: every system call in ``FileIO`` that changes a
/// file (open, pwrite, fdatasync, ftruncate, rename, unlink) asks it first, so a test can make
/// any of them stall or fail at the Nth matching call. Off, it costs one relaxed atomic load.
///
/// immutad installs rules from `IMMUTA_TEST_IO_FAULTS` (tests only; it logs a warning when it
/// does), e.g. `write:/topics/slow/:delay=3000` or `fsync:/topics/t/:errno=5@3`.
public enum IOFaults {
    /// The system calls a rule can match.
    public enum Operation: String, Sendable, CaseIterable {
        case open, write, fsync, truncate, rename, unlink
    }

    /// What a matching call does.
    public enum Action: Sendable, Hashable {
        /// Sleeps this many milliseconds, then proceeds: a slow or stalled disk.
        case delay(milliseconds: Int)
        /// Fails with this errno instead of making the call.
        case fail(errno: Int32)
        /// A write only: writes the first half of its bytes, then fails with EIO (a torn write).
        case shortWrite
        /// Nothing: only counts matching calls (see ``matches(_:)``), to learn how many calls a
        /// scenario makes before looping a fault over each of them.
        case count
    }

    /// One rule: calls of `operation` on a path containing `pathContains` take `action` from the
    /// `from`-th matching call on (1-based), `count` times (nil: every time after).
    public struct Rule: Sendable, Hashable {
        public var operation: Operation
        public var pathContains: String
        public var action: Action
        public var from: Int
        public var count: Int?

        public init(operation: Operation, pathContains: String, action: Action, from: Int = 1, count: Int? = nil) {
            self.operation = operation
            self.pathContains = pathContains
            self.action = action
            self.from = from
            self.count = count
        }
    }

    private static let active = Atomic<Bool>(false)
    private static let rules = Locked<[(rule: Rule, seen: Int, owner: UInt64)]>([])
    private static let nextOwner = Atomic<UInt64>(1)

    /// Replaces the rules (an empty list turns the seam off).
    public static func install(_ list: [Rule]) {
        rules.withLock { $0 = list.map { ($0, 0, 0) } }
        active.store(!list.isEmpty, ordering: .relaxed)
    }

    /// Adds rules for the duration of `body` (tests running at once add their own, each matching
    /// its own directory), and removes them afterwards.
    @discardableResult
    public static func with<T>(_ list: [Rule], _ body: (Token) throws -> T) rethrows -> T {
        let token = add(list)
        defer { remove(token) }
        return try body(token)
    }

    /// ``with(_:_:)`` for an asynchronous body.
    public static func with<T>(
        _ list: [Rule], isolation: isolated (any Actor)? = #isolation, _ body: (Token) async throws -> T
    ) async rethrows -> T {
        let token = add(list)
        defer { remove(token) }
        return try await body(token)
    }

    private static func add(_ list: [Rule]) -> Token {
        let owner = nextOwner.wrappingAdd(1, ordering: .relaxed).oldValue
        rules.withLock { rules in
            rules += list.map { ($0, 0, owner) }
            active.store(true, ordering: .relaxed)
        }
        return Token(owner: owner)
    }

    private static func remove(_ token: Token) {
        rules.withLock { rules in
            rules.removeAll { $0.owner == token.owner }
            active.store(!rules.isEmpty, ordering: .relaxed)
        }
    }

    /// Names the rules one ``with(_:_:)`` added.
    public struct Token: Sendable {
        let owner: UInt64

        /// How many calls matched each of those rules so far, in the order they were given.
        public var matches: [Int] {
            IOFaults.rules.withLock { $0.filter { $0.owner == owner }.map(\.seen) }
        }
    }

    /// Parses `OPERATION:PATH_PART:ACTION[@FROM[xCOUNT]]` rules separated by `;`, where ACTION is
    /// `delay=MS`, `errno=N` or `short` (a torn write).
    public static func parse(_ text: String) throws -> [Rule] {
        try text.split(separator: ";").map { item in
            let parts = item.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let operation = Operation(rawValue: parts[0]) else {
                throw StorageError.invalidConfiguration("I/O fault rule \(item) is not OPERATION:PATH:ACTION")
            }
            let actionAndWhen = parts[2].split(separator: "@", maxSplits: 1).map(String.init)
            let action: Action
            if actionAndWhen[0].hasPrefix("delay="), let ms = Int(actionAndWhen[0].dropFirst(6)), (0...600_000).contains(ms) {
                action = .delay(milliseconds: ms)
            } else if actionAndWhen[0].hasPrefix("errno="), let code = Int32(actionAndWhen[0].dropFirst(6)), code > 0 {
                action = .fail(errno: code)
            } else if actionAndWhen[0] == "short" {
                action = .shortWrite
            } else {
                throw StorageError.invalidConfiguration("I/O fault action \(actionAndWhen[0]) is not delay=MS (0...600000), errno=N or short")
            }
            var from = 1
            var count: Int?
            if actionAndWhen.count == 2 {
                let when = actionAndWhen[1].split(separator: "x").map { Int($0) }
                guard let first = when.first ?? nil, first >= 1, when.count <= 2 else {
                    throw StorageError.invalidConfiguration("I/O fault position \(actionAndWhen[1]) is not FROM or FROMxCOUNT")
                }
                from = first
                if when.count == 2 {
                    guard let times = when[1], times >= 1 else {
                        throw StorageError.invalidConfiguration("I/O fault count in \(actionAndWhen[1]) must be positive")
                    }
                    count = times
                }
            }
            return Rule(operation: operation, pathContains: parts[1], action: action, from: from, count: count)
        }
    }

    /// Called by ``FileIO`` before each system call it guards.
    ///
    /// - Returns: `.shortWrite` when a write should be torn (the caller writes half and fails).
    @inline(__always)
    @discardableResult
    static func check(_ operation: Operation, _ path: String) throws -> Action? {
        guard active.load(ordering: .relaxed) else { return nil }
        return try apply(operation, path)
    }

    private static func apply(_ operation: Operation, _ path: String) throws -> Action? {
        let action = rules.withLock { rules -> Action? in
            var chosen: Action?
            for i in rules.indices where rules[i].rule.operation == operation && path.contains(rules[i].rule.pathContains) {
                rules[i].seen += 1
                let rule = rules[i].rule
                let seen = rules[i].seen
                if chosen == nil, rule.action != .count, seen >= rule.from && (rule.count.map { seen < rule.from + $0 } ?? true) {
                    chosen = rule.action
                }
            }
            return chosen
        }
        switch action {
        case .none, .count: return nil
        case .shortWrite: return operation == .write ? .shortWrite : nil
        case .delay(let ms):
            var pause = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
            nanosleep(&pause, nil)
            return nil
        case .fail(let code):
            throw StorageError.io(operation: "\(operation.rawValue) (injected)", path: path, errno: Errno(rawValue: code))
        }
    }
}
