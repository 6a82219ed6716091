// The plain build (no libFuzzer) replays a corpus instead, so the normal `swift build` yields a
// runnable tool that checks every saved input (seeds and past crashes) still parses without a trap.
#if !IMMUTA_LIBFUZZER
import Foundation

@main
enum Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: immuta-fuzz-decoder FILE_OR_DIRECTORY...\n".utf8))
            exit(2)
        }
        var replayed = 0
        for path in paths {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
                    exit(1)
                }
                data.withUnsafeBytes { fuzzOneInput($0) }
                replayed += 1
            }
        }
        print("replayed \(replayed) inputs without a crash")
    }

    /// The regular files under `path` (itself, if it is a file), in a stable order.
    private static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [path]
        }
        let names = FileManager.default.subpaths(atPath: path) ?? []
        return names.sorted().map { path + "/" + $0 }.filter {
            var nested: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &nested) && !nested.boolValue
        }
    }
}
#endif
