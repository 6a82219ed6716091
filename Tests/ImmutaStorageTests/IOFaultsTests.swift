import ImmutaStorage
import ImmutaTestSupport
import Testing

/// The fault-injection seam: its rule syntax, and a fault it injects reaching the caller.
@Suite(.serialized, .timeLimit(.minutes(10))) struct IOFaultsTests {
    @Test func rulesParseAndBadRulesAreRefusedSayingWhy() throws {
        let good = try IOFaults.parse("write:/topics/slow/:delay=3000;fsync:/t/:errno=5@3x2;open:x:errno=24@1")
        #expect(good.count == 3)
        #expect(good[0] == IOFaults.Rule(operation: .write, pathContains: "/topics/slow/", action: .delay(milliseconds: 3000)))
        #expect(good[1] == IOFaults.Rule(operation: .fsync, pathContains: "/t/", action: .fail(errno: 5), from: 3, count: 2))
        for bad in [
            "write", "write:/x", "read:/x:errno=5", "write:/x:errno=0", "write:/x:errno=-1", "write:/x:delay=-1",
            "write:/x:delay=600001", "write:/x:sleep=5", "write:/x:errno=5@0", "write:/x:errno=5@2x0", "write:/x:errno=5@a",
        ] {
            #expect(throws: StorageError.self, "\(bad)") { try IOFaults.parse(bad) }
        }
    }

    @Test func anInjectedWriteFailureFailsTheAppendAndLeavesTheLogWhole() async throws {
        try await withTemporaryDirectory { dir in
            let (log, _) = try RecordLog.open(directory: dir + "/faulty", name: "faulty")
            try log.append([[1, 2, 3]])
            IOFaults.with(try IOFaults.parse("write:\(dir)/faulty/:errno=28@1x1")) { _ in
                #expect(throws: StorageError.self) { try log.append([[4, 5, 6]]) }
            }
            // The fault was one call: the log takes the next batch at the next offset.
            let next = try log.append([[7, 8, 9]])
            #expect(next.firstOffset == 1)
            let batch = try log.read(from: 0)
            #expect(batch.count == 2)
            try log.close()
        }
    }
}
