/// A benchmark's progress, passed on to the line every 1,024 records, so that the line's lock
/// stays out of the measured loop.
struct SteppedProgress {
    let line: Progress
    private var records = 0
    private var bytes = 0

    init(_ line: Progress) { self.line = line }

    mutating func add(records count: Int = 1, bytes size: Int) {
        records += count
        bytes += size
        guard records >= 1024 else { return }
        line.add(records: records, bytes: bytes)
        (records, bytes) = (0, 0)
    }

    func finish() { line.finish() }
}
