import CImmutaChecksum

/// CRC32C (Castagnoli) checksums, computed with the SSE4.2 instruction when the CPU has it.
package enum CRC32C {
    /// The checksum of `bytes`, continuing from `seed` (0 starts a new checksum).
    @inline(__always)
    package static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        immuta_crc32c(seed, bytes.baseAddress, bytes.count)
    }

    /// The checksum of a byte array.
    package static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        if let fast = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) {
            return fast
        }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    /// The table-driven implementation, used where SSE4.2 is missing; exposed for tests and benchmarks.
    package static func portableChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        immuta_crc32c_portable(seed, bytes.baseAddress, bytes.count)
    }

    /// Whether the hardware instruction is in use on this CPU.
    package static var isHardwareAccelerated: Bool { immuta_crc32c_is_hardware() != 0 }
}
