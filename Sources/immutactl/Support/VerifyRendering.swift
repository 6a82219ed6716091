import ImmutaStorage

extension VerifyReport {
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
