import Foundation
import Synchronization

/// The one-line result of a run, for people and for scripts (key=value pairs).
struct Summary {
    let state: RunState
    let elapsed: Double
    let seed: UInt64
    let peakRSS: Int?
    let before: (rss: Int?, fds: Int?)
    let after: (rss: Int?, fds: Int?)

    var line: String {
        let fields: [(String, String)] = [
            ("result", state.failures.isEmpty ? "ok" : "FAILED"),
            ("frames", "\(state.framesSent.load(ordering: .relaxed))"),
            ("connections", "\(state.connectionsOpened.load(ordering: .relaxed))"),
            ("server_closes", "\(state.serverCloses.load(ordering: .relaxed))"),
            ("client_closes", "\(state.clientCloses.load(ordering: .relaxed))"),
            ("connect_failures", "\(state.connectFailures.load(ordering: .relaxed))"),
            ("mib_sent", String(format: "%.1f", Double(state.bytesSent.load(ordering: .relaxed)) / 1_048_576)),
            ("mib_received", String(format: "%.1f", Double(state.bytesReceived.load(ordering: .relaxed)) / 1_048_576)),
            ("wb_produced", "\(state.recordsProduced.load(ordering: .relaxed))"),
            ("wb_verified", "\(state.recordsVerified.load(ordering: .relaxed))"),
            ("wb_fetch_checked", "\(state.recordsFetchChecked.load(ordering: .relaxed))"),
            ("elapsed_s", String(format: "%.1f", elapsed)),
            ("daemon_rss_kib", "\(describe(before.rss))->\(describe(after.rss))"),
            ("daemon_rss_peak_kib", describe(peakRSS)),
            ("daemon_fds", "\(describe(before.fds))->\(describe(after.fds))"),
            ("seed", "\(seed)"),
        ]
        return "immuta-netfuzz: " + fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

    private func describe(_ value: Int?) -> String { value.map(String.init) ?? "?" }
}
