/// Trading days with no close between two consecutive closes of a dated series: the learned
/// models' features are returns over consecutive trading days, which a gap turns into returns
/// over weeks.
public struct TradingGap: Sendable, Equatable, CustomStringConvertible {
    /// The close before the gap and the one after it (ISO dates).
    public let after: String, before: String
    public let missingTradingDays: Int

    /// Missing days up to this many are closures, not gaps: the longest unscheduled one of the
    /// exchanges in living memory was four days (11–14 September 2001), and a day of mourning or
    /// a storm (Sandy: 29–30 October 2012) is missing from any honest history too.
    public static let tolerated = 4

    public var description: String {
        "the closes skip \(missingTradingDays) trading days between \(after) and \(before)"
    }
}

extension DailySeries {
    /// The widest gap of more than `TradingGap.tolerated` trading days among the last `count`
    /// closes; nil when there is none (or a date does not parse: the loaders refuse those).
    public func widestGap(inLast count: Int) -> TradingGap? {
        let recent = dates.suffix(max(count, 0))
        var widest: TradingGap?
        var previous: CivilDate?
        for iso in recent {
            guard let day = CivilDate(iso: iso) else { return widest }
            defer { previous = day }
            // Fewer than 7 calendar days apart cannot miss 5 trading days: skip the count.
            guard let start = previous, day.dayNumber - start.dayNumber > TradingGap.tolerated + 2 else { continue }
            var missing = 0
            var cursor = start.next
            while cursor < day {
                if TradingCalendar.isTradingDay(cursor) { missing += 1 }
                cursor = cursor.next
            }
            if missing > max(TradingGap.tolerated, widest?.missingTradingDays ?? 0) {
                widest = TradingGap(after: start.iso, before: day.iso, missingTradingDays: missing)
            }
        }
        return widest
    }
}
