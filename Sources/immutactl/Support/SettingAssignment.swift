import ArgumentParser

/// One `--set KEY=VALUE` of `topic config` and `group config`. Dashes in the key read as
/// underscores (`--set max-deliveries=3`).
struct SettingAssignment {
    var key: String
    var value: String

    init(_ setting: String, keys: [String]) throws {
        guard let equals = setting.firstIndex(of: "=") else {
            throw ValidationError("--set \(setting): write KEY=VALUE, with KEY one of \(keys.joined(separator: ", "))")
        }
        key = String(setting[..<equals].map { $0 == "-" ? "_" : $0 })
        value = String(setting[setting.index(after: equals)...])
    }

    var pair: (String, String) { (key, value) }
}
