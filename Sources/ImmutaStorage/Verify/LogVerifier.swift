/// One problem found by ``LogVerifier``.
public struct VerifyProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file the problem is in.
    public var file: String
    /// Byte position in that file.
    public var position: UInt64
    /// What is wrong.
    public var message: String

    public var description: String { "\(file) @\(position): \(message)" }
}

/// What ``LogVerifier`` checked.
public struct VerifyReport: Sendable, Hashable {
    /// Segments walked.
    public var segments = 0
    /// Records whose framing and checksum were checked.
    public var records: UInt64 = 0
    /// Data bytes read.
    public var bytes: UInt64 = 0
    /// Every problem found, in file order.
    public var problems: [VerifyProblem] = []
    /// True when nothing is wrong.
    public var isClean: Bool { problems.isEmpty }
}

/// Walks every segment of a log directory and checks framing, checksums and index consistency,
/// reading the files only (it works on a directory no process has open, and changes nothing).
public enum LogVerifier {
    /// Verifies the log in `directory`.
    ///
    /// - Parameter afterSegment: called with the records and data bytes of each segment once it
    ///   is checked, for progress.
    public static func verify(directory: String, afterSegment: (_ records: UInt64, _ bytes: UInt64) -> Void = { _, _ in })
        throws -> VerifyReport
    {
        var report = VerifyReport()
        let names = try FileIO.list(directory)
        let dataBases = Set(names.compactMap { SegmentNames.baseOffset(of: $0, extension: SegmentNames.dataExtension) })
        let indexBases = Set(names.compactMap { SegmentNames.baseOffset(of: $0, extension: SegmentNames.indexExtension) })
        for base in dataBases.symmetricDifference(indexBases).sorted() {
            let ext = dataBases.contains(base) ? SegmentNames.dataExtension : SegmentNames.indexExtension
            report.problems.append(
                VerifyProblem(
                    file: directory + "/" + SegmentNames.stem(base) + ext, position: 0,
                    message: "segment file without its \(ext == SegmentNames.dataExtension ? "index" : "data") file"))
        }
        var expectedBase: UInt64?
        for base in dataBases.intersection(indexBases).sorted() {
            let stem = directory + "/" + SegmentNames.stem(base)
            let dataPath = stem + SegmentNames.dataExtension
            let indexPath = stem + SegmentNames.indexExtension
            if let expectedBase, expectedBase != base {
                report.problems.append(
                    VerifyProblem(file: dataPath, position: 0, message: "offsets jump from \(expectedBase) to \(base)"))
            }
            let data = try FileIO.readAll(dataPath)
            let index = try FileIO.readAll(indexPath)
            report.segments += 1
            report.bytes += UInt64(data.count)
            let recordsBefore = report.records
            let count = try verifySegment(
                base: base, data: data, dataPath: dataPath, index: index, indexPath: indexPath, report: &report)
            expectedBase = base + count
            afterSegment(report.records - recordsBefore, UInt64(data.count))
        }
        return report
    }

    private static func verifySegment(
        base: UInt64, data: [UInt8], dataPath: String, index: [UInt8], indexPath: String, report: inout VerifyReport
    ) throws -> UInt64 {
        if index.count % IndexEntry.size != 0 {
            report.problems.append(
                VerifyProblem(
                    file: indexPath, position: UInt64(index.count - index.count % IndexEntry.size),
                    message: "index ends with a partial entry of \(index.count % IndexEntry.size) bytes"))
        }
        let count = index.count / IndexEntry.size
        var expectedPosition: UInt64 = 0
        var previousTimestamp = Int64.min
        var lastIsBatchEnd = true
        index.withUnsafeBytes { indexRaw in
            data.withUnsafeBytes { dataRaw in
                for i in 0..<count {
                    let offset = base + UInt64(i)
                    let at = UInt64(i * IndexEntry.size)
                    guard let entry = IndexEntry.decode(indexRaw, at: i * IndexEntry.size) else {
                        report.problems.append(
                            VerifyProblem(file: indexPath, position: at, message: "offset \(offset): index entry fails its checksum"))
                        // Step over the record by its size prefix in the data file, so that one bad
                        // entry is reported once, not again as a wrong position of the next entry, as
                        // unindexed data after the last one, or as a batch left open (its flag is lost).
                        let record = Int(clamping: expectedPosition)
                        if record <= dataRaw.count - RecordFraming.headerSize {
                            let room = UInt64(dataRaw.count - record - RecordFraming.headerSize)
                            expectedPosition += UInt64(RecordFraming.headerSize) + min(RecordFraming.loadUInt64(dataRaw, at: record), room)
                        }
                        lastIsBatchEnd = true
                        continue
                    }
                    if entry.position != expectedPosition {
                        report.problems.append(
                            VerifyProblem(
                                file: indexPath, position: at,
                                message: "offset \(offset): index points at byte \(entry.position), expected \(expectedPosition)"))
                    }
                    if entry.timestamp < previousTimestamp {
                        report.problems.append(
                            VerifyProblem(file: indexPath, position: at, message: "offset \(offset): timestamp goes backwards"))
                    }
                    if let problem = LogRecovery.payloadProblem(entry, dataRaw) {
                        report.problems.append(
                            VerifyProblem(file: dataPath, position: entry.position, message: "offset \(offset): \(problem)"))
                    } else {
                        report.records += 1
                    }
                    previousTimestamp = entry.timestamp
                    expectedPosition = entry.endPosition
                    lastIsBatchEnd = entry.isBatchEnd
                }
            }
        }
        if !lastIsBatchEnd {
            report.problems.append(
                VerifyProblem(
                    file: indexPath, position: UInt64(max(0, count - 1) * IndexEntry.size),
                    message: "the segment ends inside a batch (its last record is not marked as a batch end)"))
        }
        if UInt64(data.count) > expectedPosition {
            report.problems.append(
                VerifyProblem(
                    file: dataPath, position: expectedPosition,
                    message: "\(UInt64(data.count) - expectedPosition) data bytes follow the last indexed record"))
        }
        return UInt64(count)
    }
}
