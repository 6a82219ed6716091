import ArgumentParser
import Immuta
import ImmutaStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How immutactl rides out a restart of immutad: followers fetch again from where they were,
/// group members join again, producers resend what was not acknowledged. Each loss and each
/// resumption is said on standard error; after `IMMUTA_RECONNECT_TIMEOUT` (default 30 s; 0 turns
/// reconnecting off) without a daemon the command fails with status 69.
enum Reconnection {
    static let timeoutVariable = "IMMUTA_RECONNECT_TIMEOUT"

    /// The policy for this run: its bound from the environment, its events on standard error,
    /// with `resuming` saying what happens next when the event names no offset.
    static func policy(resuming: String? = nil) throws -> ReconnectPolicy {
        let report = { @Sendable (event: ReconnectEvent) in Self.report(event, resuming: resuming) }
        guard let value = getenv(timeoutVariable), value.pointee != 0 else { return ReconnectPolicy(onEvent: report) }
        let text = String(cString: value)
        guard let milliseconds = Quantities.milliseconds(text) ?? (text == "0" ? 0 : nil) else {
            printError("Error: \(timeoutVariable)=\(text): \(Quantities.durationProblem(text))")
            throw ExitCode(ExitStatus.usage)
        }
        return milliseconds == 0 ? .disabled : ReconnectPolicy(timeout: .milliseconds(milliseconds), onEvent: report)
    }

    /// Says on standard error that the connection was lost, or that work resumed.
    static func report(_ event: ReconnectEvent, resuming: String?) {
        switch event {
        case .lost(let reason):
            printError("immutactl: connection to immutad lost (\(reason)); reconnecting…")
        case .resumed(let downtime, let offset):
            let next = offset.map { ", resuming at offset \($0)" } ?? resuming.map { ", \($0)" } ?? ""
            printError("immutactl: reconnected after \(describe(downtime))\(next)")
        }
    }

    /// Runs a read until it succeeds, again after a lost connection or a daemon restart (the
    /// client reconnects under the next attempt and says so), for as long as the client's policy
    /// allows. A read repeated from the same position prints nothing twice and skips nothing.
    static func retrying<T>(_ client: ImmutaClient, _ read: () async throws -> T) async throws -> T {
        var lostAt: ContinuousClock.Instant?
        while true {
            do {
                return try await read()
            } catch let error as ImmutaError where error.needsReconnect && client.reconnectPolicy.isEnabled {
                let since = lostAt ?? .now
                if .now - since >= client.reconnectPolicy.timeout { throw error }
                lostAt = since
            }
        }
    }

    /// `1.2 s`, `0.3 s`.
    private static func describe(_ duration: Duration) -> String {
        let tenths = (duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000 + 50) / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
