/// `table`, narrowed to `width` characters (nil: as wide as it needs): first the widest of the
/// `elidable` columns (names) lose their ends, marked `…`, down to `minimumElided` characters; then
/// columns are left out from the right; lines still too long are cut. Returns the lines.
func fittedTable(
    _ header: [String], _ rows: [[String]], rightAligned: Set<Int>, elidable: Set<Int>, width: Int?, minimumElided: Int = 8
) -> [String] {
    guard let width else { return table(header, rows, rightAligned: rightAligned).split(separator: "\n").map(String.init) }
    let all = [header] + rows
    var widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    func total() -> Int { widths.reduce(0, +) + 2 * (widths.count - 1) }
    while total() > width {
        let candidates = elidable.filter { $0 < widths.count && widths[$0] > minimumElided }
        guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
        widths[widest] = max(minimumElided, widths[widest] - (total() - width))
    }
    while total() > width && widths.count > 1 { widths.removeLast() }
    let kept = widths.indices
    func elided(_ row: [String]) -> [String] {
        kept.map { column in
            let cell = row[column]
            return cell.count <= widths[column] ? cell : String(cell.prefix(max(0, widths[column] - 1))) + "…"
        }
    }
    let text = table(elided(header), rows.map(elided), rightAligned: rightAligned.filter { $0 < kept.count })
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.prefix(width)) }
}
