import Dispatch
import ImmutaLocks
import ImmutaStorage
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Progress of long work on standard error: on a terminal, one line redrawn four times a second
/// (records, bytes, records/s, and the share done with an ETA when the total is known); when
/// standard error is not a terminal, a plain line every 10 s, so a long run under a service
/// manager still says where it is. The caller prints its own summary at the end.
///
/// Kept small by hand: the mirrored packages offer no terminal progress library, and a line of
/// text is all this needs.
final class Progress {
    private let shown: ProgressLine
    /// Nil when quiet. (A dispatch source that was never resumed must not be released: that
    /// traps in libdispatch, so one is made only when it will run.)
    private let timer: (any DispatchSourceTimer)?

    /// - Parameter quiet: show nothing.
    init(_ label: String, totalRecords: UInt64? = nil, totalBytes: UInt64? = nil, quiet: Bool = false) {
        let quiet = quiet || getenv("IMMUTA_NO_PROGRESS") != nil
        // IMMUTA_PROGRESS_INTERVAL_MS redraws more often: the tests' way to see a line at once. 0
        // draws at every update, from the working thread: a test then sees the line however fast
        // the work ends, and however late a loaded machine runs the timer.
        let requested = getenv("IMMUTA_PROGRESS_INTERVAL_MS").flatMap { Int(String(cString: $0)) }.map { max(0, $0) }
        let shown = ProgressLine(
            label: label, totalRecords: totalRecords, totalBytes: totalBytes, drawsEveryUpdate: !quiet && requested == 0)
        self.shown = shown
        guard !quiet, requested != 0 else {
            timer = nil
            return
        }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        self.timer = timer
        let interval: DispatchTimeInterval = .milliseconds(requested ?? (shown.onTerminal ? 250 : 10_000))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { shown.draw() }
        timer.resume()
    }

    deinit { timer?.cancel() }

    func add(records: Int, bytes: Int) { shown.add(records: records, bytes: bytes) }

    /// The counts behind the line, for tasks that add to it (they may not share this object).
    var counts: ProgressLine { shown }

    /// Stops drawing and clears the line, before the caller's summary.
    func finish() {
        timer?.cancel()
        shown.clear()
    }
}

/// What ``Progress`` draws, shared with its timer's handler.
final class ProgressLine: Sendable {
    private struct Counts {
        var records: UInt64 = 0
        var bytes: UInt64 = 0
        var drawn = false
        var finished = false
    }

    let label: String
    /// Records, or bytes, expected in all, when known.
    let totalRecords: UInt64?
    let totalBytes: UInt64?
    let onTerminal = isatty(STDERR_FILENO) == 1
    /// Draw at every ``add(records:bytes:)`` instead of on a timer (IMMUTA_PROGRESS_INTERVAL_MS=0).
    let drawsEveryUpdate: Bool
    private let counts = Locked(Counts())
    private let started = ContinuousClock.now

    init(label: String, totalRecords: UInt64?, totalBytes: UInt64?, drawsEveryUpdate: Bool = false) {
        self.label = label
        self.totalRecords = totalRecords
        self.totalBytes = totalBytes
        self.drawsEveryUpdate = drawsEveryUpdate
    }

    func add(records: Int, bytes: Int) {
        counts.withLock {
            $0.records += UInt64(records)
            $0.bytes += UInt64(bytes)
        }
        if drawsEveryUpdate { draw() }
    }

    /// Clears the line and draws no more. Under the lock, as `draw` writes: a draw that was under
    /// way when the timer was cancelled can then not land after the caller's summary.
    func clear() {
        counts.withLock { counts in
            if onTerminal && counts.drawn { printError("\r\u{1B}[K", terminator: "") }
            counts.drawn = false
            counts.finished = true
        }
    }

    /// The line as it stands now.
    var line: String {
        let (records, bytes) = counts.withLock { ($0.records, $0.bytes) }
        let elapsed = (ContinuousClock.now - started).components
        let seconds = max(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, 0.001)
        let rate = Double(records) / seconds
        var parts = ["\(label): \(Progress.grouped(records))" + (totalRecords.map { " of \(Progress.grouped($0))" } ?? "") + " records"]
        parts.append(Quantities.describe(bytes: bytes) + (totalBytes.map { " of " + Quantities.describe(bytes: $0) } ?? ""))
        parts.append("\(Progress.grouped(UInt64(rate))) records/s")
        // The share done, by records when their total is known, else by bytes.
        let (done, total) = totalRecords.map { (records, $0) } ?? totalBytes.map { (bytes, $0) } ?? (0, 0)
        if total > 0 {
            parts.append("\(min(100, done * 100 / total))%")
            if done > 0 && done < total { parts.append("ETA \(Progress.clock(seconds * Double(total - done) / Double(done)))") }
        }
        return parts.joined(separator: " · ")
    }

    func draw() {
        let text = line
        counts.withLock { counts in
            guard !counts.finished else { return }
            if onTerminal {
                counts.drawn = true
                printError("\r\u{1B}[K" + text, terminator: "")
            } else {
                printError(text)
            }
        }
    }
}
