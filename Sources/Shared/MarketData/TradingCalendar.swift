import Foundation

/// Trading days of the US equity exchanges (NYSE and Nasdaq share one calendar): Monday to
/// Friday, less the holidays their rules fix in advance. A holiday on a Saturday is observed
/// the Friday before and one on a Sunday the Monday after, except New Year's Day on a Saturday,
/// which is not observed (the last trading day of the year stays open).
///
/// Not modelled: closures announced at short notice (a national day of mourning, a storm) and
/// early closes. Dates of history come from the data, so this only dates forecasts.
public enum TradingCalendar {
    /// The `count` trading days after `isoDate` (yyyy-MM-dd); empty if the date is malformed.
    public static func days(after isoDate: String, count: Int) -> [String] {
        guard var day = CivilDate(iso: isoDate) else { return [] }
        var out: [String] = []
        while out.count < count {
            day = day.next
            if isTradingDay(day) { out.append(day.iso) }
        }
        return out
    }

    /// Whether the exchanges open on `isoDate`; nil if the date is malformed.
    public static func isTradingDay(_ isoDate: String) -> Bool? {
        CivilDate(iso: isoDate).map(isTradingDay)
    }

    static func isTradingDay(_ day: CivilDate) -> Bool {
        !day.isWeekend && !holidays(in: day.year).contains(day)
    }

    /// The full-day closures of `year` by rule, as observed (none falls in another year: New
    /// Year's Day on a Saturday is the one holiday that would, and it is not observed).
    static func holidays(in year: Int) -> Set<CivilDate> {
        var days: Set<CivilDate> = []
        let newYear = CivilDate(year, 1, 1)
        if newYear.weekday != 7 { days.insert(observed(newYear)) }
        if year >= 1998 { days.insert(.nth(3, weekday: 2, of: 1, year)) }  // Martin Luther King Jr. Day
        days.insert(.nth(3, weekday: 2, of: 2, year))  // Washington's Birthday
        days.insert(easter(year).adding(days: -2))  // Good Friday
        days.insert(.last(weekday: 2, of: 5, year))  // Memorial Day
        if year >= 2022 { days.insert(observed(CivilDate(year, 6, 19))) }  // Juneteenth
        days.insert(observed(CivilDate(year, 7, 4)))
        days.insert(.nth(1, weekday: 2, of: 9, year))  // Labor Day
        days.insert(.nth(4, weekday: 5, of: 11, year))  // Thanksgiving
        days.insert(observed(CivilDate(year, 12, 25)))
        return days
    }

    private static func observed(_ day: CivilDate) -> CivilDate {
        switch day.weekday {
        case 7: day.adding(days: -1)
        case 1: day.adding(days: 1)
        default: day
        }
    }

    /// Gregorian Easter Sunday by the anonymous Gregorian computus (Meeus, Astronomical
    /// Algorithms, ch. 8).
    static func easter(_ year: Int) -> CivilDate {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(year, month, day)
    }
}

/// A date on the proleptic Gregorian calendar, without time or zone: the arithmetic of
/// exchange calendars, done on day numbers rather than through Foundation's time zones.
struct CivilDate: Hashable, Comparable {
    let year: Int, month: Int, day: Int

    init(_ year: Int, _ month: Int, _ day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    init?(iso: String) {
        let parts = iso.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), (1...Self.length(of: month, year)).contains(day)
        else { return nil }
        self.init(year, month, day)
    }

    var iso: String { String(format: "%04d-%02d-%02d", year, month, day) }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 1 Sunday … 7 Saturday (Foundation's numbering); 1970-01-01 was a Thursday.
    var weekday: Int { ((dayNumber % 7 + 7 + 4) % 7) + 1 }
    var isWeekend: Bool { weekday == 1 || weekday == 7 }
    var next: CivilDate { adding(days: 1) }
    func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    static func < (a: CivilDate, b: CivilDate) -> Bool { a.dayNumber < b.dayNumber }

    static func length(of month: Int, _ year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The `n`th `weekday` (1 Sunday … 7 Saturday) of a month.
    static func nth(_ n: Int, weekday: Int, of month: Int, _ year: Int) -> CivilDate {
        let first = CivilDate(year, month, 1)
        let offset = (weekday - first.weekday + 7) % 7
        return first.adding(days: offset + 7 * (n - 1))
    }

    /// The last `weekday` of a month.
    static func last(weekday: Int, of month: Int, _ year: Int) -> CivilDate {
        let end = CivilDate(year, month, length(of: month, year))
        return end.adding(days: -((end.weekday - weekday + 7) % 7))
    }
}
