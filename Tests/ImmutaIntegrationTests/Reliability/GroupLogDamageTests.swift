import Foundation
import Immuta
import ImmutaDaemonTesting
import ImmutaTestSupport
import Testing

/// A group offset log damaged while immutad is stopped (a bit flip or a cut anywhere in it): the
/// daemon starts, resumes the group from its last intact commit (an earlier commit, never a later
/// one), says so in its log, and `immutactl verify` reports the damage beforehand.
@Suite(.timeLimit(.minutes(10))) struct GroupLogDamageTests {
    @Test func aDamagedCommitLogIsCutBackToItsLastIntactCommit() async throws {
        let dir = TemporaryDirectory(prefix: "group-damage")
        var daemon = try await DaemonProcess.start(in: dir.path)
        let client = try await ImmutaClient.connect(socketPath: daemon.socketPath)
        _ = try await client.createTopic("t")
        try await client.produce("t", (0..<50).map { Array("r\($0)".utf8) })
        let commits = Array(stride(from: 1 as UInt64, through: 50, by: 1))
        _ = try await client.committedOffset("t", group: "g", creatingAt: .earliest)
        for offset in commits { try await client.commit("t", group: "g", offset: offset) }
        await client.close()
        #expect(await daemon.stop() == 0)
        let offsets = daemon.dataDirectory + "/groups/t/g/offsets"
        let dataFile = offsets + "/00000000000000000000.log"
        let indexFile = offsets + "/00000000000000000000.idx"
        let pristine = try TestFiles.snapshot(offsets)
        let dataSize = try TestFiles.size(dataFile)
        let indexSize = try TestFiles.size(indexFile)
        // Flips in the data and index files and cuts of either, at positions spread over them.
        var damages: [(String, () throws -> Void)] = []
        for position in stride(from: 3, to: dataSize, by: dataSize / 7) {
            damages.append(("flip data byte \(position)", { try FileDamage.flipByte(dataFile, at: position) }))
        }
        for position in stride(from: 5, to: indexSize, by: indexSize / 5) {
            damages.append(("flip index byte \(position)", { try FileDamage.flipByte(indexFile, at: position) }))
        }
        for size in [0, dataSize / 3, dataSize - 5] {
            damages.append(("cut data to \(size)", { try FileDamage.truncate(dataFile, to: size) }))
        }
        for (what, damage) in damages {
            try TestFiles.restore(pristine, in: offsets)
            try damage()
            let verify = try await Cli.run(["verify", "--data-dir", daemon.dataDirectory], socket: nil)
            #expect(verify.status == 1 && verify.out.contains("group t/g"), "\(what): verify says \(verify.out)")
            daemon = try await DaemonProcess.start(in: dir.path)
            let check = try await ImmutaClient.connect(socketPath: daemon.socketPath)
            let committed = try await check.committedOffset("t", group: "g")
            #expect(committed < 50 && (committed == 0 || commits.contains(committed)), "\(what): committed \(committed)")
            await check.close()
            #expect(await daemon.stop() == 0)
            #expect(daemon.output.contains("recovery repaired a group's offset log"), "\(what): \(daemon.output.suffix(2000))")
        }
    }
}
