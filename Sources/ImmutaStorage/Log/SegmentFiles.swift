import SystemPackage

/// Files in a log directory that carry a segment's name but are not part of the log.
enum SegmentFiles {
    /// Makes room for a new segment at `baseOffset`. The log never wrote there (it is past its
    /// end), so a file with that name is a stray: an empty one is a leftover of an interrupted
    /// roll and is removed; one with bytes in it is renamed to `NAME.stray`, which the engine
    /// ignores, so that nothing is lost and the roll is not blocked for good.
    static func moveStraysAside(directory: String, baseOffset: UInt64) throws {
        let stem = directory + "/" + SegmentNames.stem(baseOffset)
        var moved = false
        for path in [stem + SegmentNames.dataExtension, stem + SegmentNames.indexExtension] where FileIO.exists(path) {
            let fd = try FileIO.open(path, readOnly: true)
            let size = try FileIO.size(fd, path: path)
            try? fd.close()
            if size == 0 {
                try FileIO.remove(path)
            } else {
                try FileIO.rename(path, to: path + ".stray")
            }
            moved = true
        }
        if moved { try FileIO.syncDirectory(directory) }
    }
}
