import Foundation

/// What a test may expect of time and memory in this build. `scripts/sanitize.sh` sets
/// `IMMUTA_TEST_SANITIZER`: sanitizers make code several times slower and keep freed memory in
/// quarantine, so time bounds stretch and memory bounds are not checked there (the normal
/// suite checks them); the behaviour those tests check is the same.
public enum TestBudget {
    /// The sanitizer this run is built with, if any.
    public static let sanitizer = ProcessInfo.processInfo.environment["IMMUTA_TEST_SANITIZER"]

    /// `duration`, stretched fivefold under a sanitizer.
    public static func time(_ duration: Duration) -> Duration { sanitizer == nil ? duration : duration * 5 }

    /// Whether RSS bounds mean anything in this build.
    public static var measuresMemory: Bool { sanitizer == nil }
}
