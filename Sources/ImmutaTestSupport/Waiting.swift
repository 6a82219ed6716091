/// Waits until `condition` holds, checking it about every millisecond, for at most `timeout`.
/// For state that offers nothing to await (a background flush, a waiter being registered).
///
/// - Returns: whether the condition held before the deadline; `#expect` it.
public func eventually(
    timeout: Duration = .seconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return try condition()
}

/// Waits until the asynchronous `condition` holds, checking it about every millisecond, for at
/// most `timeout`.
///
/// - Returns: whether the condition held before the deadline; `#expect` it.
public func eventually(
    timeout: Duration = .seconds(20),
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return try await condition()
}
