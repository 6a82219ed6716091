import Foundation
import ImmutaTestSupport

/// One damage to one file of a stopped daemon's data directory.
struct Damage: CustomStringConvertible {
    enum Kind: String { case truncate, bitFlip = "bit flip" }

    /// Which file: picked so that every run hits the active segment, sealed segments and group logs.
    enum Target: String, CaseIterable {
        case lastLog = "last segment .log", lastIndex = "last segment .idx"
        case olderLog = "older segment .log", olderIndex = "older segment .idx"
        case groupLog = "group offsets .log", groupIndex = "group offsets .idx"

        var isGroup: Bool { self == .groupLog || self == .groupIndex }
        var isIndex: Bool { self == .lastIndex || self == .olderIndex || self == .groupIndex }
    }

    let target: Target
    let kind: Kind
    let path: String
    let position: Int
    let bit: Int
    /// The segment's base offset (for group logs, the offset log's).
    let baseOffset: UInt64

    var description: String {
        "\(kind.rawValue) at byte \(position)\(kind == .bitFlip ? " bit \(bit)" : "") of \(target.rawValue) \(path)"
    }

    /// Picks a damage in `dataDirectory` (nil if the chosen file is empty).
    static func random(in dataDirectory: String, topic: String, group: String, using random: inout SeededGenerator) throws -> Damage? {
        let target = Target.allCases.randomElement(using: &random)!
        let directory = target.isGroup ? "\(dataDirectory)/groups/\(topic)/\(group)/offsets" : "\(dataDirectory)/topics/\(topic)"
        let bases = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".log") }.compactMap { UInt64($0.dropLast(4)) }.sorted()
        guard let last = bases.last else { return nil }
        let base: UInt64
        switch target {
        case .olderLog, .olderIndex:
            guard bases.count > 1 else { return nil }
            base = bases.dropLast().randomElement(using: &random)!
        default: base = last
        }
        let path = directory + "/" + String(repeating: "0", count: 20 - String(base).count) + String(base) + (target.isIndex ? ".idx" : ".log")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        guard size > 0 else { return nil }
        return Damage(
            target: target, kind: random.chance(50) ? .truncate : .bitFlip, path: path,
            position: Int.random(in: 0..<size, using: &random), bit: Int.random(in: 0..<8, using: &random), baseOffset: base)
    }

    func apply() throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw CheckerError("cannot open \(path)") }
        defer { try? handle.close() }
        switch kind {
        case .truncate:
            try handle.truncate(atOffset: UInt64(position))
        case .bitFlip:
            try handle.seek(toOffset: UInt64(position))
            guard let byte = try handle.read(upToCount: 1)?.first else { throw CheckerError("cannot read \(path)") }
            try handle.seek(toOffset: UInt64(position))
            try handle.write(contentsOf: [byte ^ (1 << UInt8(bit))])
        }
        try handle.synchronize()
    }

    /// The first record offset the damage touches, from the segment's record sizes (`sizes` are
    /// the payload sizes of the segment's records, in order).
    func firstAffectedOffset(payloadSizes sizes: [Int]) -> UInt64 {
        if target.isIndex { return baseOffset + UInt64(position / 32) }
        var end = 0
        for (index, size) in sizes.enumerated() {
            end += 8 + size
            if position < end { return baseOffset + UInt64(index) }
        }
        return baseOffset + UInt64(sizes.count)
    }
}
