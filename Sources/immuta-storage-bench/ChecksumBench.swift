import ImmutaStorage

/// CRC32C over a 64 KiB buffer that stays in the CPU cache: the SSE4.2 path the engine uses
/// against the portable slicing-by-8 fallback.
enum ChecksumBench {
    static let bufferBytes = 64 << 10

    static func run(plan: Plan, progress: (String) -> Void) throws -> [CaseResult] {
        try selfCheck()
        let buffer = Payloads.bytes(bufferBytes)
        let hardware = CRC32C.isHardwareAccelerated
        return [
            measure(
                name: "crc32c \(hardware ? "SSE4.2" : "dispatch (no SSE4.2)") 64 KiB", buffer: buffer,
                total: plan.crcHardwareBytes, runs: plan.runs, progress: progress
            ) { CRC32C.checksum($0) },
            measure(
                name: "crc32c portable 64 KiB", buffer: buffer, total: plan.crcPortableBytes, runs: plan.runs,
                progress: progress
            ) { CRC32C.portableChecksum($0) },
        ]
    }

    /// Checks the dispatching implementation against the portable one on every length up to a
    /// few blocks of the three-way path, at every alignment, continuing from a nonzero seed, and
    /// against the standard check value. A benchmark of a wrong checksum would be worthless.
    static func selfCheck() throws {
        let check = Array("123456789".utf8).withUnsafeBytes { CRC32C.checksum($0) }
        guard check == 0xE306_9283 else {
            throw BenchError("CRC32C(\"123456789\") is 0x\(String(check, radix: 16)), not 0xe3069283")
        }
        let data = Payloads.bytes(3 * 8192 * 2 + 1024, seed: 7)
        var lengths = Array(0...2048)
        lengths += stride(from: 2049, through: data.count - 8, by: 61)
        lengths += [3 * 256, 3 * 256 - 1, 3 * 8192, 3 * 8192 - 1, 3 * 8192 + 1, 6 * 8192, 6 * 8192 + 3 * 256 + 7]
        try data.withUnsafeBytes { raw in
            for alignment in 0..<8 {
                for length in lengths where alignment + length <= raw.count {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[alignment..<(alignment + length)])
                    for seed: UInt32 in [0, 0xDEAD_BEEF] {
                        let fast = CRC32C.checksum(slice, seed: seed)
                        let portable = CRC32C.portableChecksum(slice, seed: seed)
                        guard fast == portable else {
                            throw BenchError(
                                "CRC32C disagrees with the portable version on \(length) bytes at alignment \(alignment), "
                                    + "seed \(seed): 0x\(String(fast, radix: 16)) vs 0x\(String(portable, radix: 16))")
                        }
                    }
                }
            }
        }
    }

    private static func measure(
        name: String, buffer: [UInt8], total: Int, runs: Int, progress: (String) -> Void,
        _ checksum: (UnsafeRawBufferPointer) -> UInt32
    ) -> CaseResult {
        let rounds = max(1, total / buffer.count)
        var sink: UInt32 = 0
        var samples: [Sample] = []
        for run in 1...runs {
            let timing = buffer.withUnsafeBytes { raw in
                timed { for _ in 0..<rounds { sink ^= checksum(raw) } }
            }
            let sample = Sample(records: 0, payloadBytes: rounds * buffer.count, timing: timing)
            progress("\(name): run \(run)/\(runs) \(Format.fixed(sample.mibPerSecond)) MiB/s")
            samples.append(sample)
        }
        var result = CaseResult(group: "crc", name: name, samples: samples)
        result.medianRecordsPerSecond = nil
        result.gbPerSecond = result.medianMibPerSecond * Double(1 << 20) / 1e9
        result.note = "\(Format.fixed(result.gbPerSecond!, 2)) GB/s"
        keep(sink)
        return result
    }

    /// Keeps the checksums alive, so no call can be optimized away.
    @inline(never)
    private static func keep(_ value: UInt32) {
        if value == 0x5A5A_5A5A { FileHandleStandardError.write("") }
    }
}
