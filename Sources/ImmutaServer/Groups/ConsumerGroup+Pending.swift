import ImmutaLocks
import ImmutaProtocol
import ImmutaStorage
import Synchronization

extension ConsumerGroup {
    /// At most this many records in one GROUP_PENDING_LIST (each names its holder, so a page stays
    /// well inside a frame); 0 asks for ``defaultPendingPage``.
    static let pendingPageRange: ClosedRange<UInt32> = 1...1000
    static let defaultPendingPage: UInt32 = 100

    /// The records handed out and not yet acknowledged, from `from` in offset order (like Redis's
    /// XPENDING): held by a member, or given back and waiting for redelivery.
    func pending(from: UInt64, maxCount requested: UInt32) throws -> WirePendingList {
        let maxCount = requested == 0 ? Self.defaultPendingPage : requested
        guard Self.pendingPageRange.contains(maxCount) else {
            throw ProtocolError(.invalidRequest, "max_count \(requested) must be from 1 to 1000 (0 asks for 100)")
        }
        let now = monotonicNanoseconds()
        return state.withLock { state in
            let held = state.inFlight.keys.filter { $0 >= from }.sorted().prefix(Int(maxCount))
            let waiting = state.redeliver.drop { $0 < from }.prefix(Int(maxCount))
            var records: [WirePendingRecord] = []
            var (h, w) = (held.startIndex, waiting.startIndex)
            while records.count < Int(maxCount), h < held.endIndex || w < waiting.endIndex {
                if w == waiting.endIndex || (h < held.endIndex && held[h] < waiting[w]) {
                    let offset = held[h]
                    let delivery = state.inFlight[offset]!
                    let member = state.members[delivery.member]
                    records.append(
                        WirePendingRecord(
                            offset: offset, state: .held, deliveryCount: delivery.count, clientName: member?.clientName ?? "",
                            pid: member?.pid ?? 0, heldMilliseconds: Self.milliseconds(now - delivery.deliveredAt),
                            ackDueMilliseconds: Self.milliseconds(delivery.deadline - now)))
                    h += 1
                } else {
                    let offset = waiting[w]
                    records.append(
                        WirePendingRecord(
                            offset: offset, state: .waiting, deliveryCount: state.deliveryCounts[offset] ?? 1, clientName: "",
                            pid: 0, heldMilliseconds: 0, ackDueMilliseconds: 0))
                    w += 1
                }
            }
            return WirePendingList(
                held: UInt32(clamping: state.inFlight.count), waiting: UInt32(clamping: state.redeliver.count), records: records)
        }
    }

    private static func milliseconds(_ nanoseconds: Int64) -> UInt32 {
        UInt32(clamping: max(0, nanoseconds) / 1_000_000)
    }
}
