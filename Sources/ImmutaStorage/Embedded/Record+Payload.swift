extension Record {
    /// The payload as bytes: the same as ``payload``, under the name the daemon client's
    /// `ImmutaRecord` uses, so that code reads alike against both.
    public var bytes: [UInt8] { payload }

    /// The payload decoded as UTF-8 (invalid sequences replaced).
    public var string: String { String(decoding: payload, as: UTF8.self) }
}
