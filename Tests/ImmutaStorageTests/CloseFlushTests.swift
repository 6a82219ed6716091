import ImmutaStorage
import ImmutaTestSupport
import Testing

/// Closing a log flushes what was written since its last flush, and only that: a log with nothing
/// unflushed closes without an fdatasync (a daemon with thousands of idle topics stops at once).
@Suite(.timeLimit(.minutes(5))) struct CloseFlushTests {
    @Test(arguments: [Durability.none, .fsync, .interval(milliseconds: 60_000)])
    func closeFlushesOnlyWhatIsUnflushed(durability: Durability) async throws {
        for scenario in 0..<6 {
            try await withTemporaryDirectory { dir in
                let path = dir + "/log-\(scenario)"
                let (log, _) = try RecordLog.open(directory: path, name: "closing", configuration: TestLogs.small(durability: durability))
                // 0: nothing ever written; 1, 2: flushed batches (one crossing a roll); 3, 4:
                // batches written after the last flush; 5: flushed, then reopened.
                var unflushed = false
                if scenario >= 1 {
                    var last: AppendResult?
                    for i in 0..<(scenario == 2 || scenario == 4 ? 40 : 3) {
                        last = try log.append([[UInt8](repeating: UInt8(i), count: 500)])
                    }
                    if let last, scenario != 3 && scenario != 4 { try await log.waitUntilDurable(last) }
                    if scenario == 3 || scenario == 4 {
                        try log.append([Array("after the flush".utf8)])
                        unflushed = durability != .fsync
                    }
                }
                var closing = log
                if scenario == 5 {
                    try log.close()
                    closing = try RecordLog.open(directory: path, name: "closing", configuration: TestLogs.small(durability: durability)).0
                }
                // An fsync-durability log may still be flushing its last batch in the background:
                // wait for it, so that only close's own flushes are counted.
                if durability == .fsync { try await closing.waitUntilDurable(upTo: closing.bounds.nextOffset) }
                let syncs = try IOFaults.with([IOFaults.Rule(operation: .fsync, pathContains: path + "/", action: .count)]) { token in
                    try closing.close()
                    return token.matches[0]
                }
                if unflushed {
                    #expect(syncs >= 2, "\(durability), scenario \(scenario): data and index flushed at close")
                } else {
                    #expect(syncs == 0, "\(durability), scenario \(scenario): nothing to flush, yet \(syncs) fdatasyncs")
                }
                let (reopened, report) = try RecordLog.open(directory: path, name: "closing", configuration: TestLogs.small(durability: durability))
                #expect(report.isClean, "\(durability), scenario \(scenario)")
                try reopened.close()
            }
        }
    }
}
