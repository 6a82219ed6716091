import Foundation

/// What /proc says about a running daemon. A reading that cannot be taken throws: a bound
/// checked against a made-up value (0 KiB, -1 descriptors) would pass without measuring anything.
extension DaemonProcess {
    /// The number of file descriptors the daemon has open.
    public func openDescriptorCount() throws -> Int {
        let path = "/proc/\(pid)/fd"
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).count
        } catch {
            throw DaemonTestError("cannot count the descriptors of immutad (pid \(pid), running: \(isRunning)) in \(path): \(error)")
        }
    }

    /// The daemon's resident set size in KiB (VmRSS in /proc/PID/status).
    public func residentKilobytes() throws -> Int {
        try ProcReadings.residentKilobytes(pid: pid)
    }
}

/// Readings of /proc for any process.
public enum ProcReadings {
    /// VmRSS of `pid` in KiB; throws when the file or the line cannot be read.
    public static func residentKilobytes(pid: Int32) throws -> Int {
        let path = "/proc/\(pid)/status"
        let status: String
        do {
            status = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DaemonTestError("cannot read \(path): \(error)")
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]), kib > 0 { return kib }
            throw DaemonTestError("\(path) has an unreadable VmRSS line: \(String(reflecting: String(line)))")
        }
        throw DaemonTestError("\(path) has no VmRSS line (a zombie or a kernel thread?)")
    }
}
