/// A simulated power loss over the files ``SyncedLengths`` recorded: every file keeps at least
/// what its last fdatasync covered, and an unknown part of what was written after it, which may
/// have reached the disk intact or as garbage.
public enum PowerLoss {
    /// What the simulation did, for failure messages.
    public struct Cut: Sendable, CustomStringConvertible {
        public var path: String
        public var synced: Int
        public var size: Int
        public var kept: Int
        public var damaged: Bool
        public var description: String { "\(path): synced \(synced), size \(size), kept \(kept)\(damaged ? ", unsynced part damaged" : "")" }
    }

    /// Cuts every segment file (`.log`, `.idx`) under `directory` back to a random length at or
    /// after its synced length (zero for a file never flushed), and in some of them overwrites
    /// every kept unsynced byte with garbage (bits flipped).
    public static func strike(_ directory: String, synced: [String: UInt64], using random: inout some RandomNumberGenerator) throws -> [Cut] {
        var cuts: [Cut] = []
        for path in try segmentFiles(under: directory) {
            let size = try TestFiles.size(path)
            let floor = min(size, Int(synced[path] ?? 0))
            let kept = Int.random(in: floor...size, using: &random)
            try FileDamage.truncate(path, to: kept)
            let damaged = kept > floor && Bool.random(using: &random)
            if damaged {
                var bytes = try TestFiles.read(path)
                for i in floor..<kept { bytes[i] ^= UInt8.random(in: 1...255, using: &random) }
                try TestFiles.write(Array(bytes[floor..<kept]), to: path, at: floor)
            }
            cuts.append(Cut(path: path, synced: floor, size: size, kept: kept, damaged: damaged))
        }
        return cuts
    }

    /// Every `.log` and `.idx` file below `directory`.
    public static func segmentFiles(under directory: String) throws -> [String] {
        var found: [String] = []
        for name in try TestFiles.list(directory).sorted() {
            let path = directory + "/" + name
            if name.hasSuffix(".log") || name.hasSuffix(".idx") {
                found.append(path)
            } else if (try? TestFiles.list(path)) != nil {
                found += try segmentFiles(under: path)
            }
        }
        return found
    }
}
