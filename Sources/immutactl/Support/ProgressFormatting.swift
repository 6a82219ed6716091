import ImmutaStorage
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

extension Progress {
    /// The size of the segment data files in `directories`, for the share of the work done.
    static func segmentDataBytes(_ directories: [String]) -> UInt64 {
        var total: UInt64 = 0
        for directory in directories {
            for name in (try? FileIO.list(directory)) ?? [] where name.hasSuffix(".log") {
                guard let fd = try? FileIO.open(directory + "/" + name, readOnly: true) else { continue }
                total += (try? FileIO.size(fd, path: name)) ?? 0
                try? fd.close()
            }
        }
        return total
    }

    /// Whether `fd` is a regular file: work that reads or writes one shows progress (records going
    /// to or coming from a terminal or a pipe are left alone).
    static func isRegularFile(_ fd: CInt) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The size of a regular file open on `fd`.
    static func fileSize(_ fd: CInt) -> UInt64? {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return UInt64(info.st_size)
    }

    /// 75.2 → "1m16s"; 4000 → "1h06m".
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(twoDigits(whole % 60))s" }
        return "\(whole / 3600)h\(twoDigits(whole % 3600 / 60))m"
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}

/// 5 → "05".
private func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
