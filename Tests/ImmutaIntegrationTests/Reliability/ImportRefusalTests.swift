import Foundation
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// `immutactl import --create` of a seed file it refuses (torn, or with sizes that do not add up)
/// leaves no topic behind, whatever the position of the damage.
@Suite(.timeLimit(.minutes(10))) struct ImportRefusalTests {
    @Test func aRefusedImportCreatesNoTopic() async throws {
        let dir = TemporaryDirectory(prefix: "import")
        let data = dir.path + "/data"
        try TestFiles.makeDirectory(data)
        let seed = CliOfflineTests.seed((0..<5).map { "record-\($0)" })
        var damaged: [(String, [UInt8])] = []
        // Torn: cut inside every record's size field and payload (not at a record boundary).
        var boundaries: Set<Int> = [0]
        var position = 0
        while position < seed.count {
            position += 8 + Int(seed[position])
            boundaries.insert(position)
        }
        for cut in 1..<seed.count where !boundaries.contains(cut) { damaged.append(("cut at \(cut)", Array(seed.prefix(cut)))) }
        // A size that runs past the end of the file, in each record.
        position = 0
        while position < seed.count {
            var bytes = seed
            bytes[position + 3] = 0x7F
            damaged.append(("size of the record at \(position)", bytes))
            position += 8 + Int(seed[position])
        }
        for (what, bytes) in damaged {
            let file = dir.path + "/bad.immuta"
            try TestFiles.write(bytes, to: file)
            let result = try await Cli.run(["import", "fresh", file, "--data-dir", data, "--create"], socket: nil)
            #expect(result.status == 1, "\(what): \(result.stderr)")
            #expect(!TestFiles.exists(data + "/topics/fresh"), "\(what): the refused import left topic fresh behind")
        }
        // The same file whole is imported, into a topic it creates.
        try TestFiles.write(seed, to: dir.path + "/good.immuta")
        try await Cli.expect(0, ["import", "fresh", dir.path + "/good.immuta", "--data-dir", data, "--create"], socket: nil)
        #expect(TestFiles.exists(data + "/topics/fresh/topic.json"))
    }
}
