import ImmutaTestSupport
import Testing

@testable import ImmutaStorage

/// Starts outside the log and readers overtaken by retention get errors that name the valid range.
@Suite(.timeLimit(.minutes(10))) struct EmbeddedLogBoundsTests {
    @Test func startOffsetsOutsideTheLogNameTheValidRange() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir, retentionBytes: 1)
            // An empty log: the only start is offset 0, the next record.
            for bad: UInt64 in [1, 2, 100, .max - 1, .max] {
                let error = #expect(throws: LogSubscriptionError.self) { try log.subscribe(from: .offset(bad)) }
                #expect(error?.code == .startOutOfRange && error?.offset == bad)
                #expect(error?.earliestOffset == 0 && error?.nextOffset == 0)
                #expect(error?.description.contains("holds no records") == true, "\(String(describing: error))")
                #expect(error?.description.contains("from 0 to 0") == true, "\(String(describing: error))")
            }
            #expect(try log.subscribe(from: .offset(0)).startOffset == 0)

            // Retention moved the earliest offset up: offsets below it are gone, as are those past the end.
            try await EmbeddedTesting.append(log, batches: Array(repeating: 9, count: 60))
            try log.enforceRetention()
            let (earliest, next) = (log.bounds.earliestOffset, log.bounds.nextOffset)
            #expect(earliest > 2)
            for bad: UInt64 in [0, 1, earliest / 2, earliest - 1, next + 1, next + 2, next + 1000, .max - 1, .max] {
                let error = #expect(throws: LogSubscriptionError.self, "offset \(bad)") { try log.subscribe(from: .offset(bad)) }
                #expect(error?.code == .startOutOfRange && error?.offset == bad)
                #expect(error?.earliestOffset == earliest && error?.nextOffset == next)
                let message = error?.description ?? ""
                #expect(message.contains("offset \(bad)"), "\(message)")
                #expect(message.contains("holds offsets \(earliest) to \(next - 1)"), "\(message)")
                #expect(message.contains("from \(earliest) to \(next)"), "\(message)")
            }
            for good in [earliest, earliest + 1, next - 1, next] {
                #expect(try log.subscribe(from: .offset(good)).startOffset == good)
            }
            try log.close()
        }
    }

    @Test func aReaderOvertakenByRetentionGetsAnErrorNotACrash() async throws {
        try await withTemporaryDirectory { dir in
            let log = try EmbeddedTesting.open(dir, retentionBytes: 1)
            try await EmbeddedTesting.append(log, batches: Array(repeating: 9, count: 20))
            // Readers that read a little, batch by batch, then stop; retention deletes what they
            // have not read.
            for batchRecords in [1, 5, 1000] {
                let first = log.bounds.earliestOffset
                var reader = try log.subscribe(from: .earliest, batchRecords: batchRecords).makeAsyncIterator()
                #expect(try await reader.next()?.offset == first)
                while log.bounds.earliestOffset <= first + UInt64(batchRecords) {
                    try await EmbeddedTesting.append(log, batches: [9])
                    try log.enforceRetention()
                }
                let (earliest, next) = (log.bounds.earliestOffset, log.bounds.nextOffset)
                // What the reader had already read comes out first; then the gap is an error.
                var offset = first + 1
                let error = await #expect(throws: LogSubscriptionError.self) {
                    while let record = try await reader.next() {
                        #expect(record.offset == offset && record.payload == EmbeddedTesting.payload(offset))
                        offset += 1
                    }
                }
                #expect(offset < earliest, "only the batch in hand came out")
                if batchRecords == 1 { #expect(offset == first + 1) }
                #expect(error?.code == .fellBehindRetention && error?.offset == offset)
                #expect(error?.earliestOffset == earliest && error?.nextOffset == next)
                #expect(error?.description.contains("wanted offset \(offset) next") == true, "\(String(describing: error))")
                #expect(try await reader.next() == nil, "the stream stays ended")
            }
            try log.close()
        }
    }
}
