import Foundation

/// Looks at the daemon process from outside through /proc: is it still running, how much memory
/// and how many descriptors does it hold (growth across a run points at a leak).
struct DaemonProbe {
    let pid: Int32

    /// False once the process has exited. kill(pid, 0) alone is not enough: an exited child of
    /// the shell that started both stays a zombie until reaped, and a zombie still "exists".
    var isAlive: Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }  // no /proc: trust kill
        let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
        return state != "Z" && state != "X"
    }

    /// Resident memory in KiB (VmRSS), when readable.
    var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line?.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// Open file descriptors, when readable.
    var openDescriptors: Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }
}
