import ImmutaStorage

extension VerifyReport {
    /// One topic's lines in `verify` (and `repair`): `orders: ok (…)`, or the problems, one a line.
    func text(name: String) -> String {
        let summary =
            "\(plural(segments, "segment")), \(plural(records, "record")), " + plural(bytes, "byte")
        if isClean { return "\(name): ok (\(summary))" }
        return
            (["\(name): \(plural(problems.count, "problem")) (\(summary))"]
            + problems.map { "  \($0.file) at byte \($0.position): \($0.message)" }).joined(separator: "\n")
    }

    /// One topic's entry in `verify --json`.
    func json(name: String) -> JSON {
        .object([
            ("name", .string(name)), ("ok", .bool(isClean)), ("segments", .int(Int64(segments))),
            ("records", .uint(records)), ("bytes", .uint(bytes)),
            (
                "problems",
                .array(
                    problems.map {
                        .object([
                            ("file", .string($0.file)), ("position", .uint($0.position)),
                            ("message", .string($0.message)),
                        ])
                    })
            ),
        ])
    }
}
