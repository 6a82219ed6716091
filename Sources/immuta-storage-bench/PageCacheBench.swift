import Foundation
import ImmutaStorage

#if canImport(Glibc)
import Glibc
#endif

/// The page-cache write bandwidth of the same file system, measured in the same run: how fast
/// plain 1 MiB writes land in the page cache. The append figures are shown as a share of it.
enum PageCacheBench {
    /// One dd or pwrite-loop run.
    struct Run {
        var mibPerSecond: Double
        var cpuMibPerSecond: Double?
        var summary: String = ""
    }

    static func run(plan: Plan, workspace: Workspace, progress: (String) -> Void) throws -> PageCacheBaseline {
        let megabytes = plan.payloadCap >> 20
        let path = workspace.file("page-cache-baseline")

        var dd: [Run] = []
        var ddError: String?
        for run in 1...plan.runs {
            workspace.remove(path)  // a fresh file each time, as the appends get
            do {
                let result = try runDD(path: path, megabytes: megabytes)
                progress("dd bs=1M count=\(megabytes): run \(run)/\(plan.runs) \(Format.fixed(result.mibPerSecond)) MiB/s")
                dd.append(result)
            } catch {
                ddError = "\(error)"
                break
            }
        }
        workspace.remove(path)

        var pwrite: [Run] = []
        let block = Payloads.bytes(1 << 20)
        for run in 1...plan.runs {
            workspace.remove(path)
            let result = try pwriteLoop(path: path, block: block, count: megabytes)
            progress("pwrite 1 MiB x \(megabytes): run \(run)/\(plan.runs) \(Format.fixed(result.mibPerSecond)) MiB/s")
            pwrite.append(result)
        }
        workspace.remove(path)

        let ddComplete = dd.count == plan.runs
        let ddMedian = ddComplete ? Statistics.median(dd.map(\.mibPerSecond)) : nil
        let summary = ddMedian.flatMap { median in
            dd.min { abs($0.mibPerSecond - median) < abs($1.mibPerSecond - median) }?.summary
        }
        let ddCPU = dd.compactMap(\.cpuMibPerSecond)
        return PageCacheBaseline(
            ddMibPerSecond: ddMedian, ddCpuMibPerSecond: ddComplete && ddCPU.count == dd.count ? Statistics.median(ddCPU) : nil,
            ddSummary: summary, ddError: ddMedian == nil ? (ddError ?? "dd did not run") : nil,
            pwriteMibPerSecond: Statistics.median(pwrite.map(\.mibPerSecond)),
            pwriteCpuMibPerSecond: Statistics.median(pwrite.compactMap(\.cpuMibPerSecond)),
            megabytesPerRun: megabytes, runs: plan.runs)
    }

    /// Runs `dd if=/dev/zero of=PATH bs=1M count=N` and computes MiB/s from the byte count and
    /// the seconds it reports (its own rate is rounded to two digits). Its CPU time comes from
    /// the children's resource usage, which grows when the child is reaped.
    private static func runDD(path: String, megabytes: Int) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["dd", "if=/dev/zero", "of=\(path)", "bs=1M", "count=\(megabytes)"]
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let cpuBefore = childrenCPUSeconds()
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let cpu = childrenCPUSeconds() - cpuBefore
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BenchError("dd exited with status \(process.terminationStatus): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // "268435456 bytes (268 MB, 256 MiB) copied, 0.0912 s, 2.9 GB/s"
        guard let line = text.split(separator: "\n").last(where: { $0.contains(" copied, ") }),
            let bytes = line.split(separator: " ").first.flatMap({ Double($0) }),
            let afterCopied = line.range(of: " copied, ").map({ line[$0.upperBound...] }),
            let seconds = afterCopied.split(separator: " ").first.flatMap({ Double($0) }), seconds > 0
        else {
            throw BenchError("cannot parse dd's output: \(text)")
        }
        let mib = bytes / Double(1 << 20)
        return Run(mibPerSecond: mib / seconds, cpuMibPerSecond: cpu > 0 ? mib / cpu : nil, summary: String(line))
    }

    /// Writes `count` blocks with pwrite into a new file, timing the writes and the close (no sync).
    private static func pwriteLoop(path: String, block: [UInt8], count: Int) throws -> Run {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw BenchError("open \(path): \(String(cString: strerror(errno)))") }
        let timing = try block.withUnsafeBytes { raw in
            try timed {
                for i in 0..<count {
                    var done = 0
                    while done < raw.count {
                        let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(i * raw.count + done))
                        guard n > 0 else { throw BenchError("pwrite \(path): \(String(cString: strerror(errno)))") }
                        done += n
                    }
                }
                close(fd)
            }
        }
        let mib = Double(count * block.count) / Double(1 << 20)
        return Run(mibPerSecond: mib / timing.seconds, cpuMibPerSecond: mib / timing.cpuSeconds)
    }

    /// User plus system CPU time of all reaped child processes.
    private static func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
