import Foundation
import Testing

/// The committed manual pages (man/immutactl.1, man/immutad.8, made by scripts/generate-manpages.sh):
/// generated from the tools as they are now built, covering every command and option, and
/// rendered by man without a warning.
@Suite(.timeLimit(.minutes(5))) struct ManPageTests {
    struct Page: Sendable, CustomTestStringConvertible {
        var tool: String
        var section: Int
        var file: String { "man/\(tool).\(section)" }
        var testDescription: String { file }
    }

    static let pages = [Page(tool: "immutactl", section: 1), Page(tool: "immutad", section: 8)]

    static let sourceRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ file: String) throws -> String {
        try String(contentsOf: sourceRoot.appendingPathComponent(file), encoding: .utf8)
    }

    /// The page records the SHA-256 of the parser description it was made from; the tool's must be
    /// the same, and the hand-written sections must be there as written.
    @Test(arguments: pages) func isUpToDate(page: Page) async throws {
        let text = try Self.read(page.file)
        let tree = try await CliCommandTree.of(page.tool)
        let digest = try await CliProcess([], socket: nil, stdin: tree.dump, executable: "/usr/bin/sha256sum").finish()
        let current = try #require(digest.out.split(separator: " ").first.map(String.init))
        let madeFromThisBuild = text.contains(".\\\" dump-help sha256: \(current)\n")
        #expect(
            madeFromThisBuild,
            """
            \(page.file) was made from another version of \(page.tool)'s commands, options or help texts: \
            run scripts/generate-manpages.sh and commit the result
            """)
        let extra = try Self.read(page.file + ".extra")
        let endsWithExtra = text.hasSuffix(extra)
        #expect(endsWithExtra, "\(page.file) does not end with \(page.file).extra: run scripts/generate-manpages.sh")
    }

    @Test(arguments: pages) func coversEveryCommandAndOption(page: Page) async throws {
        let text = try Self.read(page.file)
        let tree = try await CliCommandTree.of(page.tool)
        #expect(text.contains(".Dt \(page.tool.uppercased()) \(page.section)\n"))
        for path in tree.paths.dropFirst() {
            #expect(text.contains(".It Em \(path.last!)\n"), "\(page.file) has no entry for \(path.joined(separator: " "))")
        }
        #expect(tree.longOptions.count >= (page.tool == "immutactl" ? 40 : 6), "\(tree.longOptions)")
        for option in tree.longOptions {
            #expect(text.contains("Fl -\(option)"), "\(page.file) never mentions --\(option)")
        }
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"] {
            #expect(text.contains(".Sh \(section)\n") || text.contains(".Sh \"\(section)\"\n"), "\(page.file) has no \(section) section")
        }
    }

    /// man (groff with every warning on) renders the page without a complaint. Skipped where
    /// neither man nor groff is installed.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/groff"), "groff is not installed"),
        arguments: pages)
    func rendersWithoutWarnings(page: Page) async throws {
        let path = Self.sourceRoot.appendingPathComponent(page.file).path
        let man = FileManager.default.isExecutableFile(atPath: "/usr/bin/man")
        let render = try await CliProcess(
            man ? ["-l", "--warnings", path] : ["-mandoc", "-ww", "-Tutf8", path], socket: nil,
            executable: man ? "/usr/bin/man" : "/usr/bin/groff", environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"]
        ).finish()
        #expect(render.status == 0 && render.stderr.isEmpty, "\(page.file): \(render.stderr)")
        #expect(render.out.contains("EXAMPLES") && render.out.contains(page.tool), "\(page.file) rendered as:\n\(render.out)")
        // Examples and options are typed with ASCII hyphen-minus, so that they can be copied.
        #expect(render.out.contains("--help") && !render.out.contains("\u{2010}\u{2010}"), "\(page.file) prints Unicode hyphens in options")
    }
}
