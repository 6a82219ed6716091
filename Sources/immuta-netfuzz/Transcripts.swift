import Foundation

/// Keeps, per fuzz connection slot, the bytes written on its current and its previous connection,
/// and saves them when the run fails, so a failure can be replayed byte for byte on one
/// connection (`immuta-netfuzz --replay FILE`) instead of rerunning the whole random mix.
struct Transcripts {
    /// Recording stops for a connection beyond this many bytes (long sessions are rare).
    static let limit = 32 << 20

    let directory: String
    private var current: [[UInt8]?]
    private var previous: [[UInt8]?]
    private var connection: [Int]

    init(directory: String, slots: Int) {
        self.directory = directory
        current = Array(repeating: [], count: slots)
        previous = Array(repeating: nil, count: slots)
        connection = Array(repeating: 0, count: slots)
    }

    /// Slot `slot` opened a new connection.
    mutating func connected(_ slot: Int) {
        previous[slot] = current[slot]
        current[slot] = []
        connection[slot] += 1
    }

    mutating func wrote(_ bytes: ArraySlice<UInt8>, slot: Int) {
        guard current[slot] != nil else { return }
        if current[slot]!.count + bytes.count > Self.limit { current[slot] = nil } else { current[slot]! += bytes }
    }

    /// Saves one slot's transcripts (current and previous connection); returns the files written.
    func save(_ slot: Int) -> [String] {
        var files: [String] = []
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (bytes, number) in [(previous[slot], connection[slot] - 1), (current[slot], connection[slot])] {
            guard let bytes, number > 0, !bytes.isEmpty else { continue }
            let path = "\(directory)/slot\(slot)-connection\(number).bin"
            if FileManager.default.createFile(atPath: path, contents: Data(bytes)) { files.append(path) }
        }
        return files
    }

    /// Saves every slot's transcripts (when the daemon died, any connection may be the cause).
    func saveAll() -> [String] { current.indices.flatMap(save) }
}
