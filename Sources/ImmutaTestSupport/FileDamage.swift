/// Damage of the kinds a crash or a bad disk leaves behind, applied to a file in place.
public enum FileDamage {
    /// Cuts the file to `size` bytes.
    public static func truncate(_ path: String, to size: Int) throws {
        try TestFiles.resize(path, to: size)
    }

    /// Overwrites the file with zeros from `position` to its end (the size stays the same).
    public static func zeroFill(_ path: String, from position: Int) throws {
        let size = try TestFiles.size(path)
        guard position < size else { return }
        try TestFiles.write([UInt8](repeating: 0, count: size - position), to: path, at: position)
    }

    /// Makes the file `count` bytes longer, the new bytes zero (as a crash after an extending
    /// write, before the data reached the disk, leaves it).
    public static func extendWithZeros(_ path: String, by count: Int) throws {
        try TestFiles.resize(path, to: try TestFiles.size(path) + count)
    }

    /// Appends `bytes` to the end of the file.
    public static func append(_ bytes: [UInt8], to path: String) throws {
        try TestFiles.write(bytes, to: path, at: try TestFiles.size(path))
    }

    /// XORs the byte at `position` with `mask` (all bits by default).
    public static func flipByte(_ path: String, at position: Int, mask: UInt8 = 0xFF) throws {
        var bytes = try TestFiles.read(path)
        precondition(position < bytes.count, "flipByte: position \(position) is past the end of \(path)")
        bytes[position] ^= mask
        try TestFiles.write([bytes[position]], to: path, at: position)
    }
}
