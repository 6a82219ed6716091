import ImmutaStorage
import ArgumentParser
import Immuta

/// The settings a consumer group takes from the member that creates it (`consume --group`).
/// Left out, they take the daemon's defaults; a group that exists keeps its own.
struct GroupSettingsOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Records one member may hold unacknowledged, 1 to 1000000 (daemon default: 1000).", valueName: "n"))
    var maxInFlight: Int?

    @Option(
        help: ArgumentHelp(
            "How long a member may hold a record before it goes to another member (daemon default: 30s).",
            valueName: "duration"))
    var ackTimeout: String?

    @Option(
        help: ArgumentHelp(
            "Deliveries before a record goes to the dead-letter topic, 1 to 65535 (daemon default: 5).",
            valueName: "n"))
    var maxDeliveries: Int?

    @Option(help: ArgumentHelp("Where records go after --max-deliveries (default: TOPIC.dlq).", valueName: "topic"))
    var deadLetterTopic: String?

    /// The options given, for the message that says they need `--group`.
    var given: [String] {
        [
            maxInFlight.map { _ in "--max-in-flight" }, ackTimeout.map { _ in "--ack-timeout" },
            maxDeliveries.map { _ in "--max-deliveries" }, deadLetterTopic.map { _ in "--dead-letter-topic" },
        ].compactMap { $0 }
    }

    func validate() throws {
        if let maxInFlight, !(1...1_000_000).contains(maxInFlight) {
            throw ValidationError("--max-in-flight \(maxInFlight) must be from 1 to 1000000")
        }
        _ = try ackTimeoutMilliseconds()
        if let maxDeliveries, !(1...Int(UInt16.max)).contains(maxDeliveries) {
            throw ValidationError("--max-deliveries \(maxDeliveries) must be from 1 to 65535")
        }
        if let deadLetterTopic { try SafeNameCheck.validate(deadLetterTopic) }
    }

    /// The settings for ``ImmutaClient/joinGroup(_:group:from:options:stopWhenIdle:)``.
    var groupOptions: GroupOptions {
        GroupOptions(
            maxInFlight: maxInFlight,
            ackTimeout: (try? ackTimeoutMilliseconds()).flatMap { $0 }.map { .milliseconds($0) },
            maxDeliveries: maxDeliveries, deadLetterTopic: deadLetterTopic)
    }

    /// The daemon takes the timeout in whole milliseconds, up to what 32 bits hold (49 days).
    private func ackTimeoutMilliseconds() throws -> Int64? {
        guard let ackTimeout else { return nil }
        guard let ms = Quantities.milliseconds(ackTimeout) else {
            throw ValidationError("--ack-timeout \(Quantities.durationProblem(ackTimeout))")
        }
        guard ms > 0, ms <= Int64(UInt32.max) else {
            throw ValidationError("--ack-timeout \(ackTimeout) is not a duration from 1ms to 49d")
        }
        return ms
    }
}
