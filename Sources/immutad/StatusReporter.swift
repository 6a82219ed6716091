import ImmutaServer
import ImmutaStorage
import ImmutaSystemd
import ServiceLifecycle

/// Sends systemd a STATUS= line every few seconds: topics, connections, and produce and delivery
/// rates, so `systemctl status immuta` tells an operator what the daemon is doing.
struct StatusReporter: Service {
    let broker: Broker
    let server: ImmutaServer
    let notifier: SystemdNotifier
    let ready: ReadySignal
    var period: Duration = .seconds(5)

    func run() async throws {
        guard notifier.isEnabled else { return }
        // Shutdown cancels the reporter mid-sleep; that is its normal end, not an error.
        try? await cancelWhenGracefulShutdown { try await report() }
    }

    private func report() async throws {
        await ready.wait()
        var produced = broker.stats.producedRecords
        var delivered = broker.stats.deliveredRecords
        var last = ContinuousClock.now
        _ = try? notifier.status(line(producedRate: 0, deliveredRate: 0))
        while !Task.isCancelled {
            try await Task.sleep(for: period)
            let now = ContinuousClock.now
            let seconds = max(0.001, Double((now - last).components.seconds) + Double((now - last).components.attoseconds) / 1e18)
            let newProduced = broker.stats.producedRecords
            let newDelivered = broker.stats.deliveredRecords
            _ = try? notifier.status(
                line(producedRate: Double(newProduced - produced) / seconds, deliveredRate: Double(newDelivered - delivered) / seconds))
            (produced, delivered, last) = (newProduced, newDelivered, now)
        }
    }

    func line(producedRate: Double, deliveredRate: Double) -> String {
        "\(broker.store.list().count) topics, \(server.connectionCount) connections, "
            + "\(Int(producedRate.rounded())) records/s in, \(Int(deliveredRate.rounded())) records/s out"
            + (broker.mirrorSummary().map { "; " + $0 } ?? "")
    }
}
