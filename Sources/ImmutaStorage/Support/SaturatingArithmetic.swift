/// Arithmetic that stops at the type's bounds instead of trapping. Used where one operand comes
/// from outside (a client, a file, the clock) and a trap would take the whole daemon down; the
/// places that need an error instead use the standard library's `…ReportingOverflow`.
extension FixedWidthInteger {
    /// `self + other`, clamped to the type's range.
    @inlinable
    public func addingSaturating(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }

    /// `self - other`, clamped to the type's range.
    @inlinable
    public func subtractingSaturating(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self × other`, clamped to the type's range.
    @inlinable
    public func multipliedSaturating(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) != (other < 0) ? .min : .max
    }
}
