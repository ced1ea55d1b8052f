import Foundation

/// `TRAIN_SCHEDULE`: a 5-field cron expression (minute hour day-of-month month day-of-week), in
/// UTC. Each field is `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
/// those; day-of-week is 0-7 with 0 and 7 both Sunday. As in cron, when both day fields are
/// restricted a day matches either. Default `0 3 * * 6`: Saturdays 03:00 UTC.
public struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    public let expression: String
    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    let daysRestricted: Bool, weekdaysRestricted: Bool

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public init(_ expression: String) throws(ParseError) {
        let fields = expression.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(description: "expected 5 fields (minute hour day month weekday, UTC), got \(fields.count) in \"\(expression)\"")
        }
        self.expression = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        hours = try Self.field(fields[1], name: "hour", range: 0...23)
        days = try Self.field(fields[2], name: "day of month", range: 1...31)
        months = try Self.field(fields[3], name: "month", range: 1...12)
        weekdays = Set(try Self.field(fields[4], name: "day of week", range: 0...7).map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    public var description: String { expression }

    static func field(_ text: String, name: String, range: ClosedRange<Int>) throws(ParseError) -> Set<Int> {
        var values = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw ParseError(description: "\(name): \"\(part)\" is not a value, range or step") }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw ParseError(description: "\(name): step \"\(pieces[1])\" is not a positive number") }
                step = n
            }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let low = Int(bounds[0]), let high = Int(bounds.last!), low <= high,
                      range.contains(low), range.contains(high) else {
                    throw ParseError(description: "\(name): \"\(pieces[0])\" is not within \(range.lowerBound)-\(range.upperBound)")
                }
                span = low...(pieces.count == 2 && bounds.count == 1 ? range.upperBound : high)
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    func matches(_ date: Date) -> Bool {
        let c = Self.utc.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard minutes.contains(c.minute!), hours.contains(c.hour!), months.contains(c.month!) else { return false }
        let day = days.contains(c.day!), weekday = weekdays.contains(c.weekday! - 1)
        if daysRestricted && weekdaysRestricted { return day || weekday }
        return day && weekday
    }

    /// The first slot strictly after `date` (nil if none within 5 years, e.g. 31 February).
    public func next(after date: Date) -> Date? {
        var minute = Self.utc.dateInterval(of: .minute, for: date)!.start.addingTimeInterval(60)
        return scan(from: &minute, by: 60)
    }

    /// The latest slot at or before `date` (nil if none within 5 years).
    public func latest(atOrBefore date: Date) -> Date? {
        var minute = Self.utc.dateInterval(of: .minute, for: date)!.start
        return scan(from: &minute, by: -60)
    }

    /// Minute by minute, skipping whole hours and days that cannot match.
    private func scan(from minute: inout Date, by step: TimeInterval) -> Date? {
        let limit = 5 * 366 * 24 * 60
        var checked = 0
        while checked < limit {
            let c = Self.utc.dateComponents([.hour, .minute], from: minute)
            if !hours.contains(c.hour!) || !months.contains(Self.utc.component(.month, from: minute)) {
                // Jump to the next (or previous) hour boundary.
                let hourStart = Self.utc.dateInterval(of: .hour, for: minute)!.start
                minute = step > 0 ? hourStart.addingTimeInterval(3600) : hourStart.addingTimeInterval(-60)
                checked += 60
                continue
            }
            if matches(minute) { return minute }
            minute = minute.addingTimeInterval(step)
            checked += 1
        }
        return nil
    }
}
