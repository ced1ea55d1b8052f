/// The ranges `GET /api/timeseries/{symbol}` serves, and how each is thinned on the server so a
/// chart gets a few hundred points at most (DESIGN.md: 3M–1Y daily, 2Y/5Y/10Y every 2/5/10
/// days; 1W and 1M would be hourly and 4-hourly from intraday data, which daily closes cannot
/// give, so they are daily too).
public enum PriceRange: String, Sendable, CaseIterable {
    case oneWeek = "1W", oneMonth = "1M", threeMonths = "3M", sixMonths = "6M", yearToDate = "YTD"
    case oneYear = "1Y", twoYears = "2Y", fiveYears = "5Y", tenYears = "10Y"

    /// Every `stride`th trading day is kept (counted back from the last, which is always kept).
    public var stride: Int {
        switch self {
        case .oneWeek, .oneMonth, .threeMonths, .sixMonths, .yearToDate, .oneYear: 1
        case .twoYears: 2
        case .fiveYears: 5
        case .tenYears: 10
        }
    }

    /// "1d", "2d", … : the spacing of the points, in trading days.
    public var resolution: String { "\(stride)d" }

    /// The first calendar date the range covers when it ends on `last` (ISO): a week back is
    /// the same weekday a week earlier, exclusive; year to date starts on 1 January of `last`'s year.
    func start(endingOn last: CivilDate) -> CivilDate {
        switch self {
        case .oneWeek: last.adding(days: -6)
        case .oneMonth: last.addingMonths(-1).adding(days: 1)
        case .threeMonths: last.addingMonths(-3).adding(days: 1)
        case .sixMonths: last.addingMonths(-6).adding(days: 1)
        case .yearToDate: CivilDate(last.year, 1, 1)
        case .oneYear: last.addingMonths(-12).adding(days: 1)
        case .twoYears: last.addingMonths(-24).adding(days: 1)
        case .fiveYears: last.addingMonths(-60).adding(days: 1)
        case .tenYears: last.addingMonths(-120).adding(days: 1)
        }
    }

    /// The series' points in this range, ending at its last close (the data's own "today":
    /// bundled history ends years ago, and a vendor's ends at the last session), thinned.
    public func points(of series: DailySeries) -> [PricePoint] {
        guard let lastISO = series.dates.last, let last = CivilDate(iso: lastISO) else { return [] }
        let start = self.start(endingOn: last).iso
        let first = series.dates.firstIndex { $0 >= start } ?? series.dates.count
        let indices = Array(first..<series.dates.count)
        // Thinned from the end, so the latest close is always shown.
        let kept = indices.reversed().enumerated().filter { $0.offset % stride == 0 }.map(\.element).reversed()
        return kept.map { PricePoint(time: series.dates[$0], price: series.closes[$0]) }
    }
}

extension CivilDate {
    /// The same day `months` months later (or earlier), clamped to the month's length
    /// (31 March less one month is 28 or 29 February).
    func addingMonths(_ months: Int) -> CivilDate {
        let index = year * 12 + (month - 1) + months
        let (newYear, newMonth) = (index / 12, index % 12 + 1)
        return CivilDate(newYear, newMonth, min(day, Self.length(of: newMonth, newYear)))
    }
}
